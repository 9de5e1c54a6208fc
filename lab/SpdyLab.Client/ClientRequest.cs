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

    /// <summary>The authority as the Host header carries it: an explicit Host header among <see cref="Headers"/> (as
    /// curl's -H 'Host: x'), else the URL's host (port only when not the scheme's default). SPDY sends it as `:host`
    /// (SPDY/2 `host`), h2 as `:authority`, HTTP/1.1 as Host; the connection still goes to the URL's host.</summary>
    public string Authority => ExplicitHost ?? UrlAuthority;

    /// <summary>The URL's host (and port when not the scheme's default).</summary>
    public string UrlAuthority => Url.IsDefaultPort ? Url.IdnHost : $"{Url.IdnHost}:{Url.Port}";

    /// <summary>The value of a Host header the caller gave (case-insensitive name), or null.</summary>
    public string? ExplicitHost
    {
        get
        {
            for (var i = 0; i < Headers.Count; i++)
            {
                if (Headers[i].Key.Equals("host", StringComparison.OrdinalIgnoreCase))
                {
                    return Headers[i].Value;
                }
            }

            return null;
        }
    }
}
