using System.Buffers.Binary;

namespace SpdyLab.Sites.Images;

/// <summary>
/// A minimal baseline JPEG writer (ITU-T T.81): one grey component, 8x8 blocks that each carry only a
/// DC coefficient (a flat tone per block, so a picture of tiles), quantisation table of ones, the
/// standard DC luminance Huffman table (Annex K.3) and an AC table holding only end-of-block.
/// Optional padding with COM segments, which decoders skip.
/// </summary>
public static class JpegEncoder
{
    /// <summary>Smallest padding a COM segment adds: marker and length.</summary>
    public const int MinimumPadding = 4;

    // Annex K, Table K.3: code lengths and values of the luminance DC differences.
    static readonly byte[] DcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    static readonly byte[] DcValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    // AC table with one symbol, 0x00 (EOB), of length 1: code '0'.
    static readonly byte[] AcBits = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    static readonly byte[] AcValues = [0x00];

    /// <param name="tone">grey level (0-255) of the block at column bx, row by</param>
    public static byte[] Encode(int width, int height, Func<int, int, byte> tone, int paddingBytes = 0)
    {
        var output = new MemoryStream();
        Marker(output, 0xD8); // SOI
        // APP0 JFIF (JFIF 1.02): "JFIF\0", version 1.1, units 0, density 1:1, no thumbnail.
        Segment(output, 0xE0, [(byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        // DQT (B.2.4.1): Pq/Tq = 0/0, then 64 one-byte values.
        var dqt = new byte[65];
        Array.Fill(dqt, (byte)1, 1, 64);
        Segment(output, 0xDB, dqt);
        // SOF0 (B.2.2): precision 8, height, width, 1 component: id 1, sampling 1x1, table 0.
        var sof = new byte[9];
        sof[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(1), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(3), (ushort)width);
        sof[5] = 1;
        sof[6] = 1;
        sof[7] = 0x11;
        sof[8] = 0;
        Segment(output, 0xC0, sof);
        // DHT (B.2.4.2): Tc/Th, 16 counts, values. DC table 0 and AC table 0.
        Segment(output, 0xC4, [0x00, .. DcBits, .. DcValues]);
        Segment(output, 0xC4, [0x10, .. AcBits, .. AcValues]);
        var remaining = paddingBytes;
        while (remaining > 0)
        {
            // COM (B.2.4.5): length includes its own two bytes; at most 65535.
            var total = Math.Min(remaining, 65535 + 2);
            if (remaining - total is > 0 and < MinimumPadding)
            {
                total -= MinimumPadding;
            }
            var text = new byte[total - 4];
            for (var i = 0; i < text.Length; i++)
            {
                text[i] = (byte)"SpdyLab synthetic image padding. "[i % 33];
            }
            Segment(output, 0xFE, text);
            remaining -= total;
        }
        // SOS (B.2.3): 1 component, id 1, tables DC0/AC0, Ss=0, Se=63, Ah/Al=0.
        Segment(output, 0xDA, [1, 1, 0x00, 0, 63, 0]);
        var dcCodes = CanonicalCodes(DcBits, DcValues);
        var bits = new EntropyWriter(output);
        var blocksX = (width + 7) / 8;
        var blocksY = (height + 7) / 8;
        var previous = 0;
        for (var by = 0; by < blocksY; by++)
        {
            for (var bx = 0; bx < blocksX; bx++)
            {
                // A flat block's DCT DC term is 8 x (sample - 128) (A.3.3); quantised by 1.
                var dc = 8 * (tone(bx, by) - 128);
                var diff = dc - previous;
                previous = dc;
                var category = diff == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(diff));
                var (code, length) = dcCodes[category];
                bits.Write(code, length);
                if (category > 0)
                {
                    // F.1.2.1.1: negative differences are sent as diff - 1 in 'category' bits.
                    bits.Write(diff > 0 ? diff : diff - 1 + (1 << category), category);
                }
                bits.Write(0, 1); // EOB: every AC coefficient is zero
            }
        }
        bits.Flush();
        Marker(output, 0xD9); // EOI
        return output.ToArray();
    }

    /// <summary>Huffman codes from the BITS/HUFFVAL lists (Annex C).</summary>
    static Dictionary<int, (int Code, int Length)> CanonicalCodes(byte[] bits, byte[] values)
    {
        var codes = new Dictionary<int, (int, int)>();
        var code = 0;
        var k = 0;
        for (var length = 1; length <= 16; length++)
        {
            for (var i = 0; i < bits[length - 1]; i++)
            {
                codes[values[k++]] = (code++, length);
            }
            code <<= 1;
        }
        return codes;
    }

    static void Marker(Stream output, byte marker)
    {
        output.WriteByte(0xFF);
        output.WriteByte(marker);
    }

    static void Segment(Stream output, byte marker, ReadOnlySpan<byte> payload)
    {
        Marker(output, marker);
        output.WriteByte((byte)((payload.Length + 2) >> 8));
        output.WriteByte((byte)(payload.Length + 2));
        output.Write(payload);
    }

    /// <summary>Entropy-coded bits, most significant first, with 0xFF bytes stuffed with 0x00 (F.1.2.3)
    /// and the last byte padded with 1-bits.</summary>
    sealed class EntropyWriter(Stream output)
    {
        int _accumulator;
        int _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _accumulator = (_accumulator << 1) | ((value >> i) & 1);
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        public void Flush()
        {
            while (_count != 0)
            {
                _accumulator = (_accumulator << 1) | 1;
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        void Emit()
        {
            output.WriteByte((byte)_accumulator);
            if (_accumulator == 0xFF)
            {
                output.WriteByte(0);
            }
            _accumulator = 0;
            _count = 0;
        }
    }
}
