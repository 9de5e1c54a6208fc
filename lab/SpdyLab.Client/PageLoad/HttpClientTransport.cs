using System.Net;
using System.Net.Http.Headers;

namespace SpdyLab.Client.PageLoad;

/// <summary>
/// HTTP/2 through .NET's HttpClient (SocketsHttpHandler), for comparison: one connection per host,
/// h2 over TLS by ALPN or cleartext h2 with prior knowledge. Connections go through the loader's
/// connector, so handshakes and socket bytes are counted; HttpClient hides its frames, so header
/// bytes on the wire are not known per request (the totals are: socket bytes less body bytes).
/// </summary>
public sealed class HttpClientTransport : IPageTransport
{
    // Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2), plus what HttpClient sets itself.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Content-Length",
    };

    private readonly HttpClient _client;
    private readonly bool _tls;
    private readonly Func<double> _clock;
    private readonly PageConnector _connector;

    public HttpClientTransport(PageConnector connector, bool tls, PageTlsOptions? tlsOptions, Func<double> clock)
    {
        _connector = connector;
        _tls = tls;
        _clock = clock;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                // TLS (when any) is HttpClient's, on top of this counted socket stream.
                var opened = await connector.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Host, null, cancellationToken);
                return opened.Stream;
            },
            // TargetHost and ALPN (h2) are HttpClient's to set per request.
            SslOptions = PageConnector.TlsOptionsFor(null, null, tlsOptions),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public string Protocol => "h2";

    public IReadOnlyList<ConnectionRecord> Connections => _connector.Connections;

    public async Task FetchAsync(ResourceLoad load, Action<ResourceLoad> onHeaders, CancellationToken cancellationToken)
    {
        var resource = load.Resource;
        var target = new Uri($"{(_tls ? "https" : "http")}://{resource.Authority}{resource.PathAndQuery}");
        using var request = new HttpRequestMessage(new HttpMethod(resource.Method), target)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var sent = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in resource.RequestHeaders)
        {
            if (!NotForwarded.Contains(name) && request.Headers.TryAddWithoutValidation(name, value))
            {
                sent.Add(new(name, value));
            }
        }

        load.RequestHeaders = sent;
        load.RequestHeaderBytesRaw = ResourceLoad.Http11RequestHeaderSize(resource.Method, resource.PathAndQuery, sent.Prepend(new("Host", resource.Authority)));
        load.HttpVersion = "HTTP/2.0";
        load.HeaderBytesKnown = false;
        try
        {
            load.SendStart = _clock();
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            load.SendEnd = load.SendStart;
            load.FirstByte = _clock();
            load.Status = (int)response.StatusCode;
            load.StatusText = response.ReasonPhrase ?? string.Empty;
            load.ResponseHeaders = Flatten(response.Headers).Concat(Flatten(response.Content.Headers)).ToList();
            load.ResponseHeaderBytesRaw = ResourceLoad.Http11ResponseHeaderSize(load.Status, load.StatusText, load.ResponseHeaders);
            onHeaders(load);
            load.Body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            load.ResponseBodyWireBytes = load.Body.Length;
            var connections = _connector.Connections;
            var connection = connections.LastOrDefault(c => string.Equals(c.Host, resource.Authority, StringComparison.OrdinalIgnoreCase))
                ?? connections.LastOrDefault();
            if (connection is not null)
            {
                load.ConnectionId = connection.Id;
                load.ServerAddress = connection.Remote;
                lock (connection)
                {
                    connection.Requests++;
                }
            }
        }
        catch (HttpRequestException e)
        {
            load.Error = e.InnerException is null ? e.Message : $"{e.Message}: {e.InnerException.Message}";
        }

        load.End = _clock();
    }

    private static IEnumerable<KeyValuePair<string, string>> Flatten(HttpHeaders headers) =>
        headers.NonValidated.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v)));

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
