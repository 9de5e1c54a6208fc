namespace SpdyLab.Server.Http;

/// <summary>A request as it arrived in a SYN_STREAM (or as synthesized for a push), version-neutral.</summary>
/// <param name="Method">GET, POST...</param>
/// <param name="Scheme">http or https.</param>
/// <param name="Host">the authority (":host" in SPDY/3, "host" in SPDY/2).</param>
/// <param name="PathAndQuery">":path" / "url" (SPDY/2 may send an absolute URL; it is reduced to path and query).</param>
/// <param name="HttpVersion">":version" / "version", e.g. HTTP/1.1.</param>
/// <param name="Headers">every other header, names lowercase, one entry per value.</param>
public sealed record SpdyRequestHead(string Method, string Scheme, string Host, string PathAndQuery, string HttpVersion,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    // Set again only by Refill: a session's request pool keeps one head (and its header list) per pooled context.
    public string Method { get; private set; } = Method;

    public string Scheme { get; private set; } = Scheme;

    public string Host { get; private set; } = Host;

    public string PathAndQuery { get; private set; } = PathAndQuery;

    public string HttpVersion { get; private set; } = HttpVersion;

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; private set; } = Headers;

    /// <summary>The next request of a pooled context (only once the last one's request is over and nothing pushed from it).</summary>
    internal SpdyRequestHead Refill(string method, string scheme, string host, string pathAndQuery, string httpVersion,
        IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        Method = method;
        Scheme = scheme;
        Host = host;
        PathAndQuery = pathAndQuery;
        HttpVersion = httpVersion;
        Headers = headers;
        return this;
    }
}
