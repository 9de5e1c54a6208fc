namespace SpdyLab.Sites.Images;

/// <summary>
/// A small GIF89a writer (GIF89a spec): one image, a 2- or 4-colour global colour table, variable-length-code
/// LZW (§22 and Appendix F). Optional padding with Comment Extension blocks (§24), which decoders skip.
/// </summary>
public static class GifEncoder
{
    /// <summary>Smallest padding a comment extension adds: introducer, label, terminator.</summary>
    public const int MinimumPadding = 3;

    /// <param name="palette">2 or 4 colours</param>
    /// <param name="transparent">adds a Graphic Control Extension (§23) making colour 0 transparent, as
    /// the period's 43-byte tracking pixels had</param>
    public static byte[] Encode(int width, int height, (byte R, byte G, byte B)[] palette, Func<int, int, byte> colourIndex, int paddingBytes = 0, bool transparent = false)
    {
        if (palette.Length is not (2 or 4))
        {
            throw new ArgumentException("the palette has 2 or 4 colours", nameof(palette));
        }
        var output = new MemoryStream();
        output.Write("GIF89a"u8);
        // Logical Screen Descriptor (§18): width(2 LE) height(2 LE) packed(1) background(1) aspect(1)
        // packed: global colour table present (0x80) | colour resolution (0x10) | table size 2^(n+1): n=0 for 2, 1 for 4
        WriteUInt16(output, width);
        WriteUInt16(output, height);
        output.WriteByte((byte)(0x80 | 0x10 | (palette.Length == 4 ? 0x01 : 0x00)));
        output.WriteByte(0);
        output.WriteByte(0);
        foreach (var (r, g, b) in palette)
        {
            output.WriteByte(r);
            output.WriteByte(g);
            output.WriteByte(b);
        }
        if (paddingBytes > 0)
        {
            WriteComment(output, paddingBytes);
        }
        if (transparent)
        {
            // Graphic Control Extension: 0x21 0xF9, block size 4, packed (transparent colour flag),
            // delay (2), transparent colour index, terminator.
            output.Write([0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00]);
        }
        // Image Descriptor (§20): separator 0x2C, left(2) top(2) width(2) height(2) packed(1)=0
        output.WriteByte(0x2C);
        WriteUInt16(output, 0);
        WriteUInt16(output, 0);
        WriteUInt16(output, width);
        WriteUInt16(output, height);
        output.WriteByte(0);
        // Table Based Image Data (§22): LZW minimum code size, then data sub-blocks, then a 0 terminator.
        const int minimumCodeSize = 2;
        output.WriteByte(minimumCodeSize);
        var pixels = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                pixels[y * width + x] = (byte)(colourIndex(x, y) % palette.Length);
            }
        }
        WriteSubBlocks(output, Lzw(pixels, minimumCodeSize));
        output.WriteByte(0);
        output.WriteByte(0x3B); // Trailer (§27)
        return output.ToArray();
    }

    /// <summary>Comment Extension (§24): 0x21 0xFE, sub-blocks of at most 255 bytes (each preceded by
    /// its length), a 0 terminator; exactly <paramref name="totalBytes"/> bytes in all (at least 3, never 4).</summary>
    static void WriteComment(Stream output, int totalBytes)
    {
        output.WriteByte(0x21);
        output.WriteByte(0xFE);
        var payload = totalBytes - 3; // bytes of sub-blocks, length bytes included
        var text = "SpdyLab synthetic image padding. "u8.ToArray();
        var t = 0;
        while (payload > 0)
        {
            var block = Math.Min(256, payload);
            if (payload - block == 1)
            {
                block--; // never leave a 1-byte remainder: a length byte of 0 would end the extension
            }
            var length = block - 1;
            output.WriteByte((byte)length);
            for (var i = 0; i < length; i++)
            {
                output.WriteByte(text[t++ % text.Length]);
            }
            payload -= block;
        }
        output.WriteByte(0);
    }

    static byte[] Lzw(byte[] pixels, int minimumCodeSize)
    {
        var clear = 1 << minimumCodeSize;
        var end = clear + 1;
        var codeSize = minimumCodeSize + 1;
        var nextCode = end + 1;
        var table = new Dictionary<int, int>(); // (prefix code << 8 | pixel) -> code
        var bits = new BitWriter();
        bits.Write(clear, codeSize);
        var prefix = (int)pixels[0];
        for (var i = 1; i < pixels.Length; i++)
        {
            var key = (prefix << 8) | pixels[i];
            if (table.TryGetValue(key, out var code))
            {
                prefix = code;
                continue;
            }
            bits.Write(prefix, codeSize);
            if (nextCode < 4096)
            {
                table[key] = nextCode++;
                // The decoder adds its entry one code later; both widen when the next code to assign
                // no longer fits the current width.
                if (nextCode > (1 << codeSize) && codeSize < 12)
                {
                    codeSize++;
                }
            }
            else
            {
                bits.Write(clear, codeSize);
                table.Clear();
                codeSize = minimumCodeSize + 1;
                nextCode = end + 1;
            }
            prefix = pixels[i];
        }
        bits.Write(prefix, codeSize);
        // Reading that last code, the decoder adds the entry the encoder added one step earlier; when
        // that fills the current width the decoder reads the end code one bit wider.
        if (nextCode < 4096 && nextCode == (1 << codeSize) && codeSize < 12 && pixels.Length > 1)
        {
            codeSize++;
        }
        bits.Write(end, codeSize);
        return bits.ToArray();
    }

    static void WriteSubBlocks(Stream output, byte[] data)
    {
        for (var offset = 0; offset < data.Length; offset += 255)
        {
            var length = Math.Min(255, data.Length - offset);
            output.WriteByte((byte)length);
            output.Write(data, offset, length);
        }
    }

    static void WriteUInt16(Stream output, int value)
    {
        output.WriteByte((byte)value);
        output.WriteByte((byte)(value >> 8));
    }

    /// <summary>LZW codes are packed least-significant bit first (GIF89a Appendix F).</summary>
    sealed class BitWriter
    {
        readonly List<byte> _bytes = [];
        int _accumulator;
        int _count;

        public void Write(int code, int width)
        {
            _accumulator |= code << _count;
            _count += width;
            while (_count >= 8)
            {
                _bytes.Add((byte)_accumulator);
                _accumulator >>= 8;
                _count -= 8;
            }
        }

        public byte[] ToArray()
        {
            if (_count > 0)
            {
                _bytes.Add((byte)_accumulator);
                _accumulator = 0;
                _count = 0;
            }
            return [.. _bytes];
        }
    }
}
