using System.Text;

namespace SpdyLab.Protocol.Tests.TestPeer;

/// <summary>
/// Frames built byte by byte from the spec's diagrams (not with the production writer), and a matching
/// independent parser for what the session sends.
/// </summary>
internal static class PeerFrames
{
    public static int Wire(SpdyVersion v) => v == SpdyVersion.Spdy2 ? 2 : 3;

    private static bool Is2(SpdyVersion v) => v == SpdyVersion.Spdy2;

    public static void Put32(List<byte> b, long value)
    {
        b.Add((byte)(value >> 24));
        b.Add((byte)(value >> 16));
        b.Add((byte)(value >> 8));
        b.Add((byte)value);
    }

    public static void Put16(List<byte> b, int value)
    {
        b.Add((byte)(value >> 8));
        b.Add((byte)value);
    }

    /// <summary>|1|version|type| flags |length(24)| payload.</summary>
    public static byte[] Control(int version, int type, int flags, IReadOnlyList<byte> payload)
    {
        var b = new List<byte> { (byte)(0x80 | (version >> 8)), (byte)version };
        Put16(b, type);
        b.Add((byte)flags);
        b.Add((byte)(payload.Count >> 16));
        b.Add((byte)(payload.Count >> 8));
        b.Add((byte)payload.Count);
        b.AddRange(payload);
        return b.ToArray();
    }

    public static byte[] Data(int streamId, int flags, byte[] payload)
    {
        var b = new List<byte>();
        Put32(b, streamId & 0x7FFFFFFF);
        b.Add((byte)flags);
        b.Add((byte)(payload.Length >> 16));
        b.Add((byte)(payload.Length >> 8));
        b.Add((byte)payload.Length);
        b.AddRange(payload);
        return b.ToArray();
    }

    /// <summary>An uncompressed name/value block (count, then length-prefixed names and values).</summary>
    public static byte[] NvBlock(SpdyVersion v, params (string Name, string Value)[] pairs)
    {
        var b = new List<byte>();
        void Len(int n)
        {
            if (Is2(v))
            {
                Put16(b, n);
            }
            else
            {
                Put32(b, n);
            }
        }

        Len(pairs.Length);
        foreach (var (name, value) in pairs)
        {
            Len(name.Length);
            b.AddRange(Encoding.Latin1.GetBytes(name));
            Len(value.Length);
            b.AddRange(Encoding.Latin1.GetBytes(value));
        }

        return b.ToArray();
    }

    public static List<(string Name, string Value)> ParseNv(SpdyVersion v, byte[] block)
    {
        var position = 0;
        int Len()
        {
            int n = Is2(v) ? (block[position] << 8) | block[position + 1] : (block[position] << 24) | (block[position + 1] << 16) | (block[position + 2] << 8) | block[position + 3];
            position += Is2(v) ? 2 : 4;
            return n;
        }

        var count = Len();
        var pairs = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var nameLength = Len();
            var name = Encoding.Latin1.GetString(block, position, nameLength);
            position += nameLength;
            var valueLength = Len();
            var value = Encoding.Latin1.GetString(block, position, valueLength);
            position += valueLength;
            pairs.Add((name, value));
        }

        return pairs;
    }

    // spdy3 §2.6.1 / spdy2 › SYN_STREAM
    public static byte[] SynStream(SpdyVersion v, int streamId, int assoc, int priority, int flags, byte[] compressedBlock, int slot = 0)
    {
        var p = new List<byte>();
        Put32(p, streamId);
        Put32(p, assoc);
        p.Add(Is2(v) ? (byte)(priority << 6) : (byte)(priority << 5));
        p.Add(Is2(v) ? (byte)0 : (byte)slot);
        p.AddRange(compressedBlock);
        return Control(Wire(v), 1, flags, p);
    }

    // spdy3 §2.6.2 / spdy2 › SYN_REPLY (2 unused bytes in v2)
    public static byte[] SynReply(SpdyVersion v, int streamId, int flags, byte[] compressedBlock)
    {
        var p = new List<byte>();
        Put32(p, streamId);
        if (Is2(v))
        {
            Put16(p, 0);
        }

        p.AddRange(compressedBlock);
        return Control(Wire(v), 2, flags, p);
    }

    public static byte[] Headers(SpdyVersion v, int streamId, int flags, byte[] compressedBlock)
    {
        var p = new List<byte>();
        Put32(p, streamId);
        if (Is2(v))
        {
            Put16(p, 0);
        }

        p.AddRange(compressedBlock);
        return Control(Wire(v), 8, flags, p);
    }

    public static byte[] RstStream(SpdyVersion v, int streamId, int status)
    {
        var p = new List<byte>();
        Put32(p, streamId);
        Put32(p, status);
        return Control(Wire(v), 3, 0, p);
    }

    public static byte[] Settings(SpdyVersion v, int flags, params (int Id, int Flags, uint Value)[] entries)
    {
        var p = new List<byte>();
        Put32(p, entries.Length);
        foreach (var (id, entryFlags, value) in entries)
        {
            if (Is2(v))
            {
                // spdy2: 24-bit id little-endian, then flags
                p.Add((byte)id);
                p.Add((byte)(id >> 8));
                p.Add((byte)(id >> 16));
                p.Add((byte)entryFlags);
            }
            else
            {
                p.Add((byte)entryFlags);
                p.Add((byte)(id >> 16));
                p.Add((byte)(id >> 8));
                p.Add((byte)id);
            }

            Put32(p, value);
        }

        return Control(Wire(v), 4, flags, p);
    }

    public static byte[] Ping(SpdyVersion v, uint id)
    {
        var p = new List<byte>();
        Put32(p, id);
        return Control(Wire(v), 6, 0, p);
    }

    public static byte[] GoAway(SpdyVersion v, int lastGood, int status = 0)
    {
        var p = new List<byte>();
        Put32(p, lastGood);
        if (!Is2(v))
        {
            Put32(p, status);
        }

        return Control(Wire(v), 7, 0, p);
    }

    public static byte[] WindowUpdate(SpdyVersion v, int streamId, int delta)
    {
        var p = new List<byte>();
        Put32(p, streamId);
        Put32(p, delta);
        return Control(Wire(v), 9, 0, p);
    }

    public static byte[] Credential(SpdyVersion v, int slot, byte[] proof, params byte[][] certificates)
    {
        var p = new List<byte>();
        Put16(p, slot);
        Put32(p, proof.Length);
        p.AddRange(proof);
        foreach (var certificate in certificates)
        {
            Put32(p, certificate.Length);
            p.AddRange(certificate);
        }

        return Control(Wire(v), 10, 0, p);
    }
}

/// <summary>A frame as the test peer parsed it.</summary>
internal sealed record PeerFrame(bool IsControl, int Version, int Type, int Flags, int StreamId, byte[] Payload)
{
    public const int SynStream = 1;
    public const int SynReply = 2;
    public const int RstStream = 3;
    public const int Settings = 4;
    public const int Ping = 6;
    public const int GoAway = 7;
    public const int Headers = 8;
    public const int WindowUpdate = 9;

    public List<(string Name, string Value)>? Headers_ { get; set; }

    public bool Fin => (Flags & 1) != 0;

    public int Int32At(int offset) => (Payload[offset] << 24) | (Payload[offset + 1] << 16) | (Payload[offset + 2] << 8) | Payload[offset + 3];

    public int RstStatus => Int32At(4);

    public int GoAwayLastGood => Int32At(0) & 0x7FFFFFFF;

    public int GoAwayStatus => Payload.Length >= 8 ? Int32At(4) : 0;

    public int WindowDelta => Int32At(4) & 0x7FFFFFFF;

    public string? Header(string name) => Headers_?.FirstOrDefault(h => h.Name == name).Value;

    public override string ToString() => IsControl
        ? $"control type={Type} flags={Flags} stream={StreamId} len={Payload.Length}"
        : $"DATA stream={StreamId} flags={Flags} len={Payload.Length}";
}
