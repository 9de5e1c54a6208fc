namespace SpdyLab.Client.Http2.Hpack;

/// <summary>
/// HPACK decoder (RFC 7541 §3, §6). One per connection: header blocks must be decoded in the order
/// they arrive, and a failure is a connection error (RFC 9113 §4.3: COMPRESSION_ERROR).
/// </summary>
/// <param name="maxTableSizeLimit">The SETTINGS_HEADER_TABLE_SIZE we announced: the most a size update may ask for (§4.2).</param>
/// <param name="maxHeaderListSize">The SETTINGS_MAX_HEADER_LIST_SIZE we announced; a longer list (name + value + 32 per field,
/// RFC 9113 §6.5.2) fails, which also bounds what a block of repeated indexes can expand to.</param>
public sealed class HpackDecoder(int maxTableSizeLimit = 4096, int maxHeaderListSize = int.MaxValue)
{
    // RFC 9113 §6.5.2: the table starts at the protocol default 4096 until the encoder signals otherwise.
    private readonly HpackDynamicTable _table = new(Math.Min(4096, maxTableSizeLimit));

    public HpackDynamicTable Table => _table;

    public List<KeyValuePair<string, string>> Decode(ReadOnlySpan<byte> block)
    {
        var headers = new List<KeyValuePair<string, string>>();
        long listSize = 0;
        var position = 0;
        var fieldSeen = false;
        while (position < block.Length)
        {
            var first = block[position];
            string name;
            string value;
            if ((first & 0x80) != 0)
            {
                // §6.1 Indexed Header Field.
                var index = ReadInteger(block, ref position, 7);
                (name, value) = Lookup(index);
            }
            else if ((first & 0xC0) == 0x40)
            {
                // §6.2.1 Literal Header Field with Incremental Indexing.
                (name, value) = ReadLiteral(block, ref position, 6);
                _table.Add(name, value);
            }
            else if ((first & 0xE0) == 0x20)
            {
                // §6.3 Dynamic Table Size Update: only at the start of a block (§4.2), at most our setting.
                if (fieldSeen)
                {
                    throw new HpackDecodingException("dynamic table size update after a header field (RFC 7541 §4.2)");
                }

                var size = ReadInteger(block, ref position, 5);
                if (size > maxTableSizeLimit)
                {
                    throw new HpackDecodingException($"dynamic table size update to {size} exceeds the announced limit {maxTableSizeLimit} (RFC 7541 §6.3)");
                }

                _table.SetMaxSize(size);
                continue;
            }
            else
            {
                // §6.2.2 without indexing (0000xxxx) and §6.2.3 never indexed (0001xxxx): both 4-bit prefixes.
                (name, value) = ReadLiteral(block, ref position, 4);
            }

            fieldSeen = true;
            listSize += HpackDynamicTable.EntrySize(name, value);
            if (listSize > maxHeaderListSize)
            {
                throw new HpackDecodingException($"header list exceeds the announced SETTINGS_MAX_HEADER_LIST_SIZE {maxHeaderListSize}");
            }

            headers.Add(new(name, value));
        }

        return headers;
    }

    private (string Name, string Value) Lookup(int index)
    {
        if (index == 0)
        {
            throw new HpackDecodingException("index 0 in an indexed header field (RFC 7541 §6.1)");
        }

        if (index <= HpackStaticTable.Count)
        {
            return HpackStaticTable.Get(index);
        }

        var position = index - HpackStaticTable.Count - 1;
        if (position >= _table.Count)
        {
            throw new HpackDecodingException($"index {index} is beyond the dynamic table ({_table.Count} entries) (RFC 7541 §2.3.3)");
        }

        return _table[position];
    }

    private (string Name, string Value) ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var nameIndex = ReadInteger(block, ref position, prefixBits);
        var name = nameIndex == 0 ? ReadString(block, ref position) : Lookup(nameIndex).Name;
        var value = ReadString(block, ref position);
        return (name, value);
    }

    /// <summary>§5.2 String Literal.</summary>
    private static string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw new HpackDecodingException("header block ends before a string literal (RFC 7541 §5.2)");
        }

        var huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackDecodingException($"string literal of {length} octets runs past the end of the header block ({block.Length - position} left)");
        }

        var octets = block.Slice(position, length);
        position += length;
        return huffman ? HpackDynamicTable.Octets(HpackHuffman.Decode(octets)) : HpackDynamicTable.Octets(octets);
    }

    /// <summary>§5.1 Integer Representation; values above 2^31-1 are refused.</summary>
    public static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        if (position >= block.Length)
        {
            throw new HpackDecodingException("header block ends inside an integer (RFC 7541 §5.1)");
        }

        var max = (1 << prefixBits) - 1;
        long value = block[position++] & max;
        if (value < max)
        {
            return (int)value;
        }

        var shift = 0;
        while (true)
        {
            if (position >= block.Length)
            {
                throw new HpackDecodingException("header block ends inside an integer (RFC 7541 §5.1)");
            }

            var b = block[position++];
            value += (long)(b & 0x7F) << shift;
            shift += 7;
            if (value > int.MaxValue || shift > 35)
            {
                throw new HpackDecodingException("integer larger than 2^31-1 in a header block (RFC 7541 §5.1)");
            }

            if ((b & 0x80) == 0)
            {
                return (int)value;
            }
        }
    }
}
