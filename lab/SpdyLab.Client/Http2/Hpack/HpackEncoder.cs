using System.Text;

namespace SpdyLab.Client.Http2.Hpack;

/// <summary>
/// HPACK encoder (RFC 7541) with Chromium's choices (quiche's HpackEncoder, as Chromium ships it):
/// <list type="bullet">
/// <item>a header whose name and value are in the static or dynamic table is sent as an index (§6.1);</item>
/// <item>otherwise every regular header, and of the pseudo-headers only <c>:authority</c>, is a literal
/// with incremental indexing (§6.2.1): Chromium's DefaultPolicy indexes all regular headers, cookies and
/// long values included, with no size threshold; <c>:method</c>, <c>:scheme</c> and <c>:path</c> that are not
/// in the static table go as literals without indexing (§6.2.2), since they change per request;</item>
/// <item>a literal's name is an index when any table has the name (static first);</item>
/// <item>the cookie header is split into crumbs at ";" (RFC 9113 §8.2.3), each indexed on its own, so a
/// changing cookie costs only the changed crumbs;</item>
/// <item>a string is Huffman-coded when that is strictly shorter than its octets (§5.2).</item>
/// </list>
/// One encoder per connection; blocks must go on the wire in the order they were encoded (§2.2).
/// </summary>
public sealed class HpackEncoder
{
    /// <summary>Decides whether a literal (not found in any table) goes into the dynamic table.</summary>
    public delegate bool IndexingPolicy(string name, string value);

    /// <summary>Chromium's policy (quiche hpack_encoder.cc DefaultPolicy).</summary>
    public static readonly IndexingPolicy ChromiumPolicy = static (name, _) =>
        name.Length > 0 && (name[0] != ':' || name == ":authority");

    /// <summary>Index every literal (what RFC 7541 Appendix C's examples do).</summary>
    public static readonly IndexingPolicy IndexAll = static (_, _) => true;

    private readonly HpackDynamicTable _table;
    private int? _pendingSizeUpdate;

    /// <param name="maxTableSize">The decoder's table size: 4096 until the peer's SETTINGS_HEADER_TABLE_SIZE says otherwise (RFC 9113 §6.5.2).</param>
    public HpackEncoder(int maxTableSize = 4096) => _table = new HpackDynamicTable(maxTableSize);

    public IndexingPolicy Policy { get; init; } = ChromiumPolicy;

    public bool UseHuffman { get; init; } = true;

    /// <summary>Split cookie headers into crumbs (RFC 9113 §8.2.3), as Chromium does.</summary>
    public bool CrumbleCookies { get; init; } = true;

    public HpackDynamicTable Table => _table;

    /// <summary>
    /// Applies the peer's SETTINGS_HEADER_TABLE_SIZE: the table shrinks or grows to it, and the next block
    /// starts with a dynamic table size update (§6.3, §4.2) so the decoder follows.
    /// </summary>
    public void SetMaxTableSize(int size)
    {
        if (size == _table.MaxSize && _pendingSizeUpdate is null)
        {
            return;
        }

        _table.SetMaxSize(size);
        _pendingSizeUpdate = size;
    }

    /// <summary>Encodes one header list into a header block. Names must be lowercase (RFC 9113 §8.2.1); pseudo-headers first.</summary>
    public byte[] Encode(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var output = new List<byte>(256);
        if (_pendingSizeUpdate is { } size)
        {
            // §6.3: 001xxxxx, new maximum size as a 5-bit prefix integer.
            WriteInteger(output, 0x20, 5, size);
            _pendingSizeUpdate = null;
        }

        foreach (var (name, value) in headers)
        {
            if (CrumbleCookies && name == "cookie")
            {
                foreach (var crumb in Crumbs(value))
                {
                    EncodeField(output, name, crumb);
                }
            }
            else
            {
                EncodeField(output, name, value);
            }
        }

        return output.ToArray();
    }

    /// <summary>RFC 9113 §8.2.3: the cookie value split at ";", each crumb without the space after the separator.</summary>
    public static IEnumerable<string> Crumbs(string cookie)
    {
        var start = 0;
        while (start <= cookie.Length)
        {
            var end = cookie.IndexOf(';', start);
            if (end < 0)
            {
                end = cookie.Length;
            }

            var crumb = cookie[start..end].TrimStart(' ');
            if (crumb.Length > 0 || (start == 0 && end == cookie.Length))
            {
                yield return crumb;
            }

            start = end + 1;
        }
    }

    private void EncodeField(List<byte> output, string name, string value)
    {
        var staticIndex = HpackStaticTable.IndexOf(name, value);
        var fullIndex = staticIndex > 0 ? staticIndex : DynamicIndex(_table.IndexOf(name, value));
        if (fullIndex > 0)
        {
            // §6.1 Indexed Header Field: 1xxxxxxx, index as a 7-bit prefix integer.
            WriteInteger(output, 0x80, 7, fullIndex);
            return;
        }

        var nameIndex = HpackStaticTable.IndexOfName(name);
        if (nameIndex == 0)
        {
            nameIndex = DynamicIndex(_table.IndexOfName(name));
        }

        if (Policy(name, value))
        {
            // §6.2.1 Literal Header Field with Incremental Indexing: 01xxxxxx, name index as a 6-bit prefix (0: literal name).
            WriteInteger(output, 0x40, 6, nameIndex);
            if (nameIndex == 0)
            {
                WriteString(output, name);
            }

            WriteString(output, value);
            _table.Add(name, value);
        }
        else
        {
            // §6.2.2 Literal Header Field without Indexing: 0000xxxx, name index as a 4-bit prefix.
            WriteInteger(output, 0x00, 4, nameIndex);
            if (nameIndex == 0)
            {
                WriteString(output, name);
            }

            WriteString(output, value);
        }
    }

    private static int DynamicIndex(int position) => position < 0 ? 0 : HpackStaticTable.Count + 1 + position;

    /// <summary>§5.2 String Literal: H bit, length as a 7-bit prefix integer, then the octets or their Huffman code.</summary>
    private void WriteString(List<byte> output, string text)
    {
        var octets = Encoding.Latin1.GetBytes(text);
        var huffmanLength = UseHuffman ? HpackHuffman.EncodedLength(octets) : int.MaxValue;
        if (huffmanLength < octets.Length)
        {
            WriteInteger(output, 0x80, 7, huffmanLength);
            HpackHuffman.Encode(octets, output);
        }
        else
        {
            WriteInteger(output, 0x00, 7, octets.Length);
            output.AddRange(octets);
        }
    }

    /// <summary>§5.1 Integer Representation: the value in the low <paramref name="prefixBits"/> bits, or all ones then 7-bit groups.</summary>
    public static void WriteInteger(List<byte> output, byte firstByteFlags, int prefixBits, int value)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            output.Add((byte)(firstByteFlags | value));
            return;
        }

        output.Add((byte)(firstByteFlags | max));
        value -= max;
        while (value >= 128)
        {
            output.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }
}
