namespace SpdyLab.Server.Http;

/// <summary>A request as it arrived in a SYN_STREAM (or as synthesized for a push), version-neutral.</summary>
/// <param name="Method">GET, POST...</param>
/// <param name="Scheme">http or https.</param>
/// <param name="Host">the authority (":host" in SPDY/3, "host" in SPDY/2).</param>
/// <param name="PathAndQuery">":path" / "url" (SPDY/2 may send an absolute URL; it is reduced to path and query).</param>
/// <param name="HttpVersion">":version" / "version", e.g. HTTP/1.1.</param>
/// <param name="Headers">every other header, names lowercase, one entry per value.</param>
public sealed record SpdyRequestHead(string Method, string Scheme, string Host, string PathAndQuery, string HttpVersion,
    IReadOnlyList<KeyValuePair<string, string>> Headers);
