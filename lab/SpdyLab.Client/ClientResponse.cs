namespace SpdyLab.Client;

/// <summary>
/// A response whose headers have arrived. Read <see cref="Body"/> to the end (or dispose) to finish the
/// stream. Times are offsets from the moment the request was handed to the connection.
/// </summary>
public sealed class ClientResponse : IAsyncDisposable
{
    public required Uri Url { get; init; }

    public required int Status { get; init; }

    public string Reason { get; init; } = string.Empty;

    public string HttpVersion { get; init; } = "HTTP/1.1";

    /// <summary>Response headers without SPDY's special ones (status, version).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    public required Stream Body { get; init; }

    public required ClientProtocol Protocol { get; init; }

    /// <summary>The SPDY stream id (0 for HTTP/1.1 and h2 through HttpClient).</summary>
    public int StreamId { get; init; }

    /// <summary>True when the response is a resource the server had pushed (no request went out, spdy3 §3.3.2).</summary>
    public bool FromPush { get; init; }

    /// <summary>From handing the request to the connection until the response headers arrived.</summary>
    public TimeSpan TimeToHeaders { get; init; }

    public string? GetHeader(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public ValueTask DisposeAsync() => Body.DisposeAsync();
}

/// <summary>A resource the server pushed (SPDY server push), body buffered in memory.</summary>
public sealed class PushedResponse
{
    public required Uri Url { get; init; }

    public required int StreamId { get; init; }

    /// <summary>The request stream the push is associated with.</summary>
    public required int AssociatedStreamId { get; init; }

    public int Status { get; set; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; set; } = [];

    public byte[] Body { get; set; } = [];

    /// <summary>Null while the push is arriving or when it completed; the reason when it failed or was reset.</summary>
    public string? Error { get; set; }

    /// <summary>Completes when the pushed stream ended (FIN, reset or session end).</summary>
    public required Task Completion { get; init; }

    /// <summary>True once a request for this URL was answered from the push (each push answers one request).</summary>
    public bool Claimed { get; internal set; }
}
