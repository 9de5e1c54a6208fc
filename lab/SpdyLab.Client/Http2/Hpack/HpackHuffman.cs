namespace SpdyLab.Client.Http2.Hpack;

/// <summary>
/// HPACK's Huffman code (RFC 7541 §5.2, Appendix B). The code is canonical: within one code length,
/// codes are consecutive in symbol order, and each length's first code follows the previous length's
/// last. So the table needs only each symbol's code length (Appendix B's "len" column); the codes
/// ("code as bits") are rebuilt from them, and the tests check a few against Appendix B.
/// </summary>
public static class HpackHuffman
{
    public const int EndOfString = 256;

    // RFC 7541 Appendix B: code length in bits of symbols 0..255 and of EOS (256).
    private static readonly byte[] Lengths =
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0..15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16..31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // 32..47
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 48..63
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // 64..79
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 80..95
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // 96..111
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 112..127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128..143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144..159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160..175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176..191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192..207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208..223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224..239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240..255
        30, // 256: EOS
    ];

    private static readonly uint[] Codes = new uint[257];

    // Canonical decoding: for each length, the first code, how many codes it has, and where its symbols
    // start in SymbolsByCode (symbols ordered by length, then by value).
    private static readonly uint[] FirstCode = new uint[31];
    private static readonly int[] CountOfLength = new int[31];
    private static readonly int[] FirstSymbolAt = new int[31];
    private static readonly int[] SymbolsByCode = new int[257];

    static HpackHuffman()
    {
        var order = Enumerable.Range(0, 257).OrderBy(s => Lengths[s]).ThenBy(s => s).ToArray();
        uint code = 0;
        var previousLength = (int)Lengths[order[0]];
        for (var i = 0; i < order.Length; i++)
        {
            var symbol = order[i];
            int length = Lengths[symbol];
            if (i > 0)
            {
                code = (code + 1) << (length - previousLength);
            }

            if (CountOfLength[length] == 0)
            {
                FirstCode[length] = code;
                FirstSymbolAt[length] = i;
            }

            CountOfLength[length]++;
            Codes[symbol] = code;
            SymbolsByCode[i] = symbol;
            previousLength = length;
        }
    }

    /// <summary>The code of <paramref name="symbol"/> (0..256) and its length in bits.</summary>
    public static (uint Code, int Length) CodeOf(int symbol) => (Codes[symbol], Lengths[symbol]);

    /// <summary>Bytes the Huffman encoding of <paramref name="data"/> takes (RFC 7541 §5.2: padded to a whole octet).</summary>
    public static int EncodedLength(ReadOnlySpan<byte> data)
    {
        long bits = 0;
        foreach (var b in data)
        {
            bits += Lengths[b];
        }

        return (int)((bits + 7) / 8);
    }

    /// <summary>Appends the Huffman encoding of <paramref name="data"/>, padded with the most significant bits of EOS (all ones).</summary>
    public static void Encode(ReadOnlySpan<byte> data, List<byte> output)
    {
        ulong pending = 0;
        var pendingBits = 0;
        foreach (var b in data)
        {
            pending = (pending << Lengths[b]) | Codes[b];
            pendingBits += Lengths[b];
            while (pendingBits >= 8)
            {
                pendingBits -= 8;
                output.Add((byte)(pending >> pendingBits));
            }
        }

        if (pendingBits > 0)
        {
            // §5.2: padding strictly longer than 7 bits is an error, so at most 7 one-bits complete the octet.
            output.Add((byte)((pending << (8 - pendingBits)) | (0xFFu >> pendingBits)));
        }
    }

    /// <summary>
    /// Decodes a Huffman-encoded string literal. Per RFC 7541 §5.2 it is a decoding error when the padding
    /// is longer than 7 bits, when the padding is not the EOS code's leading ones, or when EOS appears.
    /// </summary>
    public static byte[] Decode(ReadOnlySpan<byte> encoded)
    {
        var output = new List<byte>(encoded.Length * 8 / 5);
        uint code = 0;
        var length = 0;
        foreach (var b in encoded)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                code = (code << 1) | (uint)((b >> bit) & 1);
                length++;
                if (length > 30)
                {
                    throw new HpackDecodingException("Huffman string has a code longer than 30 bits (RFC 7541 Appendix B)");
                }

                var offset = code - FirstCode[length];
                if (CountOfLength[length] > 0 && code >= FirstCode[length] && offset < (uint)CountOfLength[length])
                {
                    var symbol = SymbolsByCode[FirstSymbolAt[length] + (int)offset];
                    if (symbol == EndOfString)
                    {
                        throw new HpackDecodingException("Huffman string contains the EOS symbol (RFC 7541 §5.2)");
                    }

                    output.Add((byte)symbol);
                    code = 0;
                    length = 0;
                }
            }
        }

        if (length > 7)
        {
            throw new HpackDecodingException($"Huffman string ends with {length} bits of padding; at most 7 are allowed (RFC 7541 §5.2)");
        }

        if (code != (1u << length) - 1)
        {
            throw new HpackDecodingException("Huffman string padding is not the most significant bits of EOS (all ones) (RFC 7541 §5.2)");
        }

        return output.ToArray();
    }
}
