namespace SpdyLab.Client.Http2.Hpack;

/// <summary>
/// The HPACK static table (RFC 7541 Appendix A): 61 entries, index 1 to 61, that both peers know
/// without sending them. Dynamic-table entries follow at index 62 (RFC 7541 §2.3.3).
/// </summary>
public static class HpackStaticTable
{
    public const int Count = 61;

    // RFC 7541 Appendix A, in index order (entry i at position i - 1).
    private static readonly (string Name, string Value)[] Entries =
    [
        (":authority", ""),
        (":method", "GET"),
        (":method", "POST"),
        (":path", "/"),
        (":path", "/index.html"),
        (":scheme", "http"),
        (":scheme", "https"),
        (":status", "200"),
        (":status", "204"),
        (":status", "206"),
        (":status", "304"),
        (":status", "400"),
        (":status", "404"),
        (":status", "500"),
        ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"),
        ("accept-language", ""),
        ("accept-ranges", ""),
        ("accept", ""),
        ("access-control-allow-origin", ""),
        ("age", ""),
        ("allow", ""),
        ("authorization", ""),
        ("cache-control", ""),
        ("content-disposition", ""),
        ("content-encoding", ""),
        ("content-language", ""),
        ("content-length", ""),
        ("content-location", ""),
        ("content-range", ""),
        ("content-type", ""),
        ("cookie", ""),
        ("date", ""),
        ("etag", ""),
        ("expect", ""),
        ("expires", ""),
        ("from", ""),
        ("host", ""),
        ("if-match", ""),
        ("if-modified-since", ""),
        ("if-none-match", ""),
        ("if-range", ""),
        ("if-unmodified-since", ""),
        ("last-modified", ""),
        ("link", ""),
        ("location", ""),
        ("max-forwards", ""),
        ("proxy-authenticate", ""),
        ("proxy-authorization", ""),
        ("range", ""),
        ("referer", ""),
        ("refresh", ""),
        ("retry-after", ""),
        ("server", ""),
        ("set-cookie", ""),
        ("strict-transport-security", ""),
        ("transfer-encoding", ""),
        ("user-agent", ""),
        ("vary", ""),
        ("via", ""),
        ("www-authenticate", ""),
    ];

    private static readonly Dictionary<(string, string), int> ByNameAndValue = BuildFullIndex();
    private static readonly Dictionary<string, int> ByName = BuildNameIndex();

    /// <summary>The entry at <paramref name="index"/> (1..61).</summary>
    public static (string Name, string Value) Get(int index) => Entries[index - 1];

    /// <summary>The lowest index whose name and value both match, or 0.</summary>
    public static int IndexOf(string name, string value) => ByNameAndValue.GetValueOrDefault((name, value));

    /// <summary>The lowest index whose name matches, or 0.</summary>
    public static int IndexOfName(string name) => ByName.GetValueOrDefault(name);

    private static Dictionary<(string, string), int> BuildFullIndex()
    {
        var index = new Dictionary<(string, string), int>();
        for (var i = 0; i < Entries.Length; i++)
        {
            index.TryAdd(Entries[i], i + 1);
        }

        return index;
    }

    private static Dictionary<string, int> BuildNameIndex()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Entries.Length; i++)
        {
            index.TryAdd(Entries[i].Name, i + 1);
        }

        return index;
    }
}
