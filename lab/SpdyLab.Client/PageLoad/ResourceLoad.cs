namespace SpdyLab.Client.PageLoad;

/// <summary>
/// One resource's fetch within a page load: the request as sent, the response, and when each phase
/// happened. Times are milliseconds since navigation start (-1 when the phase did not happen).
/// </summary>
public sealed class ResourceLoad
{
    public ResourceLoad(PageResource resource, Uri requestUrl, int order)
    {
        Resource = resource;
        RequestUrl = requestUrl;
        Order = order;
    }

    public PageResource Resource { get; }

    /// <summary>The URL fetched (the recorded one, with https when the load runs over TLS).</summary>
    public Uri RequestUrl { get; }

    /// <summary>Position in discovery order (0 is the document).</summary>
    public int Order { get; }

    public ResourceType Type => Resource.Type;

    /// <summary>What found it: navigation, parser (HTML), css, script, redirect, initiator (the recording),
    /// hint (X-Subresources), prefetch.</summary>
    public string DiscoveredBy { get; init; } = "navigation";

    /// <summary>The headers sent (the recorded ones, without the connection-specific ones the protocol forbids).</summary>
    public List<KeyValuePair<string, string>> RequestHeaders { get; set; } = [];

    public double DiscoveredAt { get; set; } = -1;

    /// <summary>When the request got a connection (after any wait in the per-host queue and any handshake).</summary>
    public double ConnectStart { get; set; } = -1;

    public double ConnectEnd { get; set; } = -1;

    public double TlsStart { get; set; } = -1;

    public double TlsEnd { get; set; } = -1;

    public double SendStart { get; set; } = -1;

    public double SendEnd { get; set; } = -1;

    public double FirstByte { get; set; } = -1;

    public double End { get; set; } = -1;

    public int Status { get; set; }

    public string StatusText { get; set; } = string.Empty;

    public string HttpVersion { get; set; } = "HTTP/1.1";

    public List<KeyValuePair<string, string>> ResponseHeaders { get; set; } = [];

    /// <summary>The response body as received (content-coding still applied).</summary>
    public byte[] Body { get; set; } = [];

    /// <summary>False when the protocol compresses headers per session and the per-request wire size is not known
    /// (SPDY, h2): the result then takes session totals, and the HAR says -1.</summary>
    public bool HeaderBytesKnown { get; set; } = true;

    /// <summary>Request header bytes on the wire (compressed for SPDY, HPACK for h2 when known).</summary>
    public long RequestHeaderBytes { get; set; }

    /// <summary>Request header bytes as HTTP/1.1 text ("Name: value\r\n" lines and the request line).</summary>
    public long RequestHeaderBytesRaw { get; set; }

    public long ResponseHeaderBytes { get; set; }

    public long ResponseHeaderBytesRaw { get; set; }

    /// <summary>Body bytes on the wire, framing (chunk sizes, DATA frame headers) included where known.</summary>
    public long ResponseBodyWireBytes { get; set; }

    /// <summary>Connection (or session) the response came over, numbered from 1.</summary>
    public int ConnectionId { get; set; }

    /// <summary>Whether it was satisfied by a server push (no request sent).</summary>
    public bool FromPush { get; set; }

    public string? ServerAddress { get; set; }

    /// <summary>Null on success; what went wrong otherwise.</summary>
    public string? Error { get; set; }

    /// <summary>For a pushed response: completes when the pushed stream has ended (set by SPDY transports).</summary>
    public TaskCompletionSource? PushDone { get; set; }

    public string? GetResponseHeader(string name) =>
        ResponseHeaders.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public bool Completed => End >= 0;

    /// <summary>Request header size as HTTP/1.1 would send it: request line, each header line, the blank line.</summary>
    public static long Http11RequestHeaderSize(string method, string target, IEnumerable<KeyValuePair<string, string>> headers) =>
        method.Length + 1 + target.Length + " HTTP/1.1\r\n".Length + headers.Sum(h => h.Key.Length + 2 + h.Value.Length + 2) + 2;

    public static long Http11ResponseHeaderSize(int status, string reason, IEnumerable<KeyValuePair<string, string>> headers) =>
        "HTTP/1.1 ".Length + 3 + 1 + reason.Length + 2 + headers.Sum(h => h.Key.Length + 2 + h.Value.Length + 2) + 2;
}
