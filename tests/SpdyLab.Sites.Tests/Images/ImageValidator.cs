using System.Buffers.Binary;
using System.IO.Compression;
using SpdyLab.Sites.Images;

namespace SpdyLab.Sites.Tests.Images;

/// <summary>
/// Independent structure checks (System.Drawing is not available): PNG chunk CRCs and inflated scanline
/// length, GIF block structure and a full LZW decode, JPEG marker segments and a Huffman decode of every
/// block. Each returns the image's (width, height) or throws with what is wrong.
/// </summary>
public static class ImageValidator
{
    public static (int Width, int Height) Validate(string contentType, byte[] bytes) => contentType switch
    {
        "image/png" => Png(bytes),
        "image/gif" => Gif(bytes),
        "image/jpeg" => Jpeg(bytes),
        _ => throw new InvalidDataException($"not an image type: {contentType}"),
    };

    public static (int, int) Png(byte[] b)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Check(b.AsSpan(0, 8).SequenceEqual(signature), "PNG signature");
        var i = 8;
        int width = 0, height = 0;
        var idat = new MemoryStream();
        var sawEnd = false;
        while (i < b.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(i));
            var type = System.Text.Encoding.ASCII.GetString(b, i + 4, 4);
            Check(i + 12 + length <= b.Length, $"chunk {type} overruns the file");
            var crc = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(i + 8 + length));
            Check(crc == Crc32.Compute(b.AsSpan(i + 4, 4 + length)), $"chunk {type} CRC");
            var data = b.AsSpan(i + 8, length);
            if (type == "IHDR")
            {
                width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                Check(data[8] == 8 && data[9] == 2, "IHDR: 8-bit RGB");
            }
            if (type == "IDAT") idat.Write(data);
            if (type == "IEND") { sawEnd = true; Check(i + 12 == b.Length, "IEND is last"); }
            i += 12 + length;
        }
        Check(sawEnd, "IEND present");
        using var z = new ZLibStream(new MemoryStream(idat.ToArray()), CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        Check(raw.Length == height * (1 + width * 3L), $"inflated IDAT is {raw.Length} bytes, expected {height * (1 + width * 3L)}");
        return (width, height);
    }

    public static (int, int) Gif(byte[] b)
    {
        Check(System.Text.Encoding.ASCII.GetString(b, 0, 6) == "GIF89a", "GIF89a header");
        var width = b[6] | (b[7] << 8);
        var height = b[8] | (b[9] << 8);
        var packed = b[10];
        var i = 13;
        if ((packed & 0x80) != 0) i += 3 * (2 << (packed & 7));
        var decoded = -1;
        while (true)
        {
            Check(i < b.Length, "trailer present");
            var introducer = b[i++];
            if (introducer == 0x3B) { Check(i == b.Length, "trailer is last"); break; }
            if (introducer == 0x21)
            {
                i++; // label
                while (b[i] != 0) i += 1 + b[i];
                i++;
                continue;
            }
            Check(introducer == 0x2C, $"unexpected block 0x{introducer:x2}");
            var w = b[i + 4] | (b[i + 5] << 8);
            var h = b[i + 6] | (b[i + 7] << 8);
            Check((b[i + 8] & 0x80) == 0, "no local colour table");
            i += 9;
            var minimum = b[i++];
            var data = new MemoryStream();
            while (b[i] != 0) { data.Write(b, i + 1, b[i]); i += 1 + b[i]; }
            i++;
            decoded = LzwDecode(data.ToArray(), minimum);
            Check(decoded == w * h, $"LZW decoded {decoded} pixels, expected {w * h}");
        }
        Check(decoded >= 0, "an image block");
        return (width, height);
    }

    /// <summary>GIF LZW decoder (GIF89a Appendix F); returns the number of pixels decoded.</summary>
    static int LzwDecode(byte[] data, int minimum)
    {
        var clear = 1 << minimum;
        var end = clear + 1;
        var size = minimum + 1;
        var prefix = new int[4096];
        var suffix = new byte[4096];
        var lengths = new int[4096];
        for (var c = 0; c < clear; c++) { suffix[c] = (byte)c; lengths[c] = 1; prefix[c] = -1; }
        var next = end + 1;
        var previous = -1;
        var pixels = 0;
        var bit = 0;
        while (true)
        {
            Check(bit + size <= data.Length * 8, "LZW data ends without an end code");
            var code = 0;
            for (var k = 0; k < size; k++, bit++) code |= ((data[bit >> 3] >> (bit & 7)) & 1) << k;
            if (code == clear) { size = minimum + 1; next = end + 1; previous = -1; continue; }
            if (code == end) return pixels;
            Check(code <= next, $"LZW code {code} beyond the table ({next})");
            if (previous >= 0 && next < 4096)
            {
                var first = code < next ? FirstOf(code, prefix, suffix) : FirstOf(previous, prefix, suffix);
                prefix[next] = previous;
                suffix[next] = first;
                lengths[next] = lengths[previous] + 1;
                next++;
                if (next == (1 << size) && size < 12) size++;
            }
            else
            {
                Check(code < next, "first code after clear is a literal");
            }
            pixels += lengths[code];
            previous = code;
        }
    }

    static byte FirstOf(int code, int[] prefix, byte[] suffix)
    {
        while (prefix[code] >= 0) code = prefix[code];
        return suffix[code];
    }

    public static (int, int) Jpeg(byte[] b)
    {
        Check(b[0] == 0xFF && b[1] == 0xD8, "SOI");
        var i = 2;
        int width = 0, height = 0;
        var huffman = new Dictionary<int, Dictionary<(int, int), int>>();
        while (true)
        {
            Check(b[i] == 0xFF, $"marker at {i}");
            var marker = b[i + 1];
            var length = (b[i + 2] << 8) | b[i + 3];
            var segment = b.AsSpan(i + 4, length - 2);
            if (marker == 0xC0)
            {
                height = (segment[1] << 8) | segment[2];
                width = (segment[3] << 8) | segment[4];
            }
            if (marker == 0xC4)
            {
                var table = new Dictionary<(int, int), int>();
                int code = 0, k = 17;
                for (var len = 1; len <= 16; len++)
                {
                    for (var n = 0; n < segment[len]; n++) table[(len, code++)] = segment[k++];
                    code <<= 1;
                }
                huffman[segment[0]] = table;
            }
            i += 2 + length;
            if (marker == 0xDA) break;
        }
        // Entropy-coded data up to EOI, with stuffed zero bytes removed.
        var data = new List<byte>();
        while (!(b[i] == 0xFF && b[i + 1] == 0xD9))
        {
            data.Add(b[i]);
            i += b[i] == 0xFF && b[i + 1] == 0x00 ? 2 : 1;
        }
        Check(i + 2 == b.Length, "EOI is last");
        var bit = 0;
        int Read() { var v = (data[bit >> 3] >> (7 - (bit & 7))) & 1; bit++; return v; }
        int Decode(Dictionary<(int, int), int> table)
        {
            var code = 0;
            for (var len = 1; len <= 16; len++)
            {
                code = (code << 1) | Read();
                if (table.TryGetValue((len, code), out var symbol)) return symbol;
            }
            throw new InvalidDataException("bad Huffman code");
        }
        var blocks = ((width + 7) / 8) * ((height + 7) / 8);
        for (var n = 0; n < blocks; n++)
        {
            var category = Decode(huffman[0x00]);
            for (var k = 0; k < category; k++) Read();
            for (var coefficient = 1; coefficient < 64;)
            {
                var rs = Decode(huffman[0x10]);
                if (rs == 0) break;
                coefficient += (rs >> 4) + 1;
                for (var k = 0; k < (rs & 15); k++) Read();
            }
        }
        Check(data.Count * 8 - bit < 8, $"{data.Count * 8 - bit} bits left after {blocks} blocks");
        return (width, height);
    }

    static void Check(bool condition, string what)
    {
        if (!condition) throw new InvalidDataException("invalid image: " + what);
    }
}
