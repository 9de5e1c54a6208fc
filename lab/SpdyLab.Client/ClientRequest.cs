namespace SpdyLab.Client;

/// <summary>One request: absolute URL, method, extra headers, optional body, SPDY priority.</summary>
public sealed class ClientRequest(Uri url)
{
    public Uri Url { get; } = url.IsAbsoluteUri ? url : throw new ArgumentException($"'{url}' is not an absolute URL", nameof(url));

    public string Method { get; init; } = "GET";

    /// <summary>Extra request headers (names are sent lowercase over SPDY).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The request body, or null for none.</summary>
    public ReadOnlyMemory<byte>? Body { get; init; }

    /// <summary>SPDY priority on SPDY/3's scale, 0 (highest) to 7 (lowest); SPDY/2 maps it to 0..3.</summary>
    public int Priority { get; init; } = 3;

    /// <summary>The authority as the Host header carries it (port only when not the scheme's default).</summary>
    public string Authority => Url.IsDefaultPort ? Url.IdnHost : $"{Url.IdnHost}:{Url.Port}";
}
