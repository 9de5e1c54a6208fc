namespace SpdyLab.Protocol.Tests;

/// <summary>The byte dumps of ../../shared/spec/test-vectors.md, copied verbatim.</summary>
internal static class TestVectors
{
    public static byte[] Hex(string dump)
    {
        var bytes = new List<byte>();
        foreach (var line in dump.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var data = line.Contains(':') ? line[(line.IndexOf(':') + 1)..] : line;
            foreach (var token in data.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                bytes.Add(Convert.ToByte(token, 16));
            }
        }

        return bytes.ToArray();
    }

    public static readonly byte[] V2_1_ChromeSynStream = Hex("""
        0000: 80 02 00 01 01 00 01 22 00 00 00 01 00 00 00 00
        0010: 00 00 38 ea df a2 51 b2 62 e0 62 60 83 a4 17 06
        0020: 7b b8 0b 75 30 2c d6 ae 40 17 cd cd b1 2e b4 35
        0030: d0 b3 d4 d1 d2 d7 02 b3 2c 18 f8 50 73 2c 83 9c
        0040: 67 b0 3f d4 3d 3a 60 07 81 d5 99 eb 40 d4 1b 33
        0050: f0 a3 e5 69 06 41 90 8b 75 a0 4e d6 29 4e 49 ce
        0060: 80 ab 81 25 03 06 be d4 3c dd d0 60 9d d4 3c a8
        0070: a5 2c a0 3c ce c0 07 4a 08 39 20 a6 95 99 a1 91
        0080: 21 03 5b 2e b0 6c c9 4f 61 60 76 77 0d 61 60 2b
        0090: 06 26 c7 dc 54 06 d6 8c 92 92 82 62 06 66 90 bf
        00a0: 19 01 02 48 1f 20 80 18 b8 10 99 95 a1 cc 37 bf
        00b0: 2a 33 27 27 51 df 54 cf 40 41 c3 37 31 39 33 af
        00c0: 24 bf 38 c3 5a c1 13 98 7e 72 14 80 02 0a fe c1
        00d0: 0a 11 0a 86 06 f1 16 f1 46 9a 0a 8e c0 a0 48 0d
        00e0: 4f 4d f2 ce 2c d1 37 35 36 d7 33 36 56 d0 f0 f6
        00f0: 08 f1 f5 d1 51 c8 c9 cc 4e 55 70 4f 4d ce ce d7
        0100: 54 70 ce 00 16 42 a9 fa 46 e6 7a 06 7a 86 26 c6
        0110: 46 40 c3 83 13 d3 12 8b 32 a1 9a 18 d8 a1 51 c1
        0120: c0 01 8b 21 00 00 00 00 ff ff
        """);

    public static readonly byte[] V2_2_Settings = Hex("""
        0000: 80 02 00 04 00 00 00 0c 00 00 00 01 04 00 00 00
        0010: 00 00 03 e8
        """);

    public static readonly byte[] V2_3_GoAway = Hex("0000: 80 02 00 07 00 00 00 04 00 00 02 1f");

    public static readonly byte[] V2_4_Ping = Hex("0000: 80 02 00 06 00 00 00 04 00 00 30 39");

    public static readonly byte[] V2_5_Block = Hex("""
        0000: 78 bb df a2 51 b2 62 60 66 60 cb 05 e6 c3 fc 14
        0010: 06 66 77 d7 10 06 66 90 20 a3 3e 03 3b 54 0d 03
        0020: 07 4c 2b 00 00 00 ff ff
        """);

    public static readonly byte[] V3_1_SynStream = Hex("""
        0000: 80 03 00 01 00 00 00 2c 00 00 00 01 00 00 00 00
        0010: 00 00 78 f9 e3 c6 a7 c2 02 e5 0e 50 7a b4 42 a4
        0020: 5a 77 d7 10 50 06 b3 2a 48 04 97 4d 8c fa 00 00
        0030: 00 00 ff ff
        """);

    public static readonly byte[] V3_2_SynReplyEmpty = Hex("""
        0000: 80 03 00 02 00 00 00 14 00 00 00 01 78 f9 e3 c6
        0010: a7 c2 02 a6 23 06 00 00 00 00 ff ff
        """);

    public static readonly byte[] V3_3_SynReplyStored = Hex("""
        0000: 80 03 00 02 00 00 00 57 00 00 00 01 38 30 e3 c6
        0010: a7 c2 00 43 00 bc ff 00 00 00 03 00 00 00 05 74
        0020: 68 65 72 65 00 00 00 05 74 68 65 72 65 00 00 00
        0030: 07 3a 73 74 61 74 75 73 00 00 00 06 32 30 30 20
        0040: 4f 4b 00 00 00 08 3a 76 65 72 73 69 6f 6e 00 00
        0050: 00 08 48 54 54 50 2f 31 2e 31 00 00 00 ff ff
        """);

    public static readonly byte[] V3_4_HeadersContinued = Hex("""
        0000: 80 03 00 08 00 00 00 25 00 00 00 01 00 17 00 e8
        0010: ff 00 00 00 01 00 00 00 04 6d 6f 72 65 00 00 00
        0020: 07 68 65 61 64 65 72 73 00 00 00 ff ff
        """);

    public static readonly byte[] V3_5_TwoHeaders = Hex("""
        0000: 80 03 00 08 00 00 00 22 00 00 00 04 38 30 e3 c6
        0010: a7 c2 00 0e 00 f1 ff 00 00 00 01 00 00 00 01 61
        0020: 00 00 00 01 62 00 00 00 ff ff 80 03 00 08 00 00
        0030: 00 1c 00 00 00 04 00 0e 00 f1 ff 00 00 00 01 00
        0040: 00 00 01 61 00 00 00 01 62 00 00 00 ff ff
        """);

    public static readonly byte[] V3_6_Block = Hex("""
        0000: 78 bb e3 c6 a7 c2 02 25 3a 50 7a b4 42 a4 5a 77
        0010: d7 10 50 06 b3 2a 48 04 97 4d 3c fa 19 a9 c0 02
        0020: 32 be 3c bf 28 07 9c 99 ad b0 a4 5d 00 00 00 00
        0030: ff ff
        """);

    public static readonly byte[] V3_7_StoredBlock = Hex("""
        0000: 78 3f e3 c6 a7 c2 00 15 00 ea ff 00 00 00 01 00
        0010: 00 00 04 6e 61 6d 65 00 00 00 05 76 61 6c 75 65
        0020: 00 00 00 ff ff
        """);

    public static readonly byte[] V3_8_Data = Hex("""
        0000: 00 00 00 01 00 00 00 11 57 72 69 74 69 6e 67 20
        0010: 74 6f 20 73 74 72 65 61 6d
        """);

    public static readonly byte[] V3_9_RstStream = Hex("0000: 80 03 00 03 00 00 00 08 00 00 00 01 00 00 00 01");

    public static readonly byte[] V3_10_Settings = Hex("""
        0000: 80 03 00 04 00 00 00 0c 00 00 00 01 01 00 00 07
        0010: 00 00 01 00
        """);

    public static readonly byte[] V3_11_Ping = Hex("0000: 80 03 00 06 00 00 00 04 00 00 00 01");

    public static readonly byte[] V3_12_GoAway = Hex("0000: 80 03 00 07 00 00 00 08 00 00 00 01 00 00 00 00");

    public static readonly byte[] V3_13_WindowUpdate = Hex("0000: 80 03 00 09 00 00 00 08 00 00 00 01 00 00 ab ca");
}
