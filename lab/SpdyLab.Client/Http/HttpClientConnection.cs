using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using SpdyLab.Client.Transport;

namespace SpdyLab.Client.Http;

/// <summary>
/// HTTP/1.1 and HTTP/2 through .NET's SocketsHttpHandler. TCP connections are made by
/// <see cref="ClientTransport"/> in the handler's ConnectCallback, so --resolve behaves as for SPDY.
/// HTTP/1.1 over TLS: our own TLS stream (the one ALPN was negotiated on serves the first request) handed to
/// the handler with an http:// URI. HTTP/2 over TLS: the handler does TLS itself (with -k / --cacert
/// applied), because h2 carries :scheme and servers (Kestrel) reset streams whose :scheme is "http" on a
/// TLS connection; the connection that negotiated h2 is therefore closed, costing one extra handshake.
/// Cleartext HTTP/2 is prior knowledge.
/// </summary>
internal sealed class HttpClientConnection : IClientConnection
{
    private readonly HttpClient _client;
    private readonly Uri _origin;
    private readonly ClientOptions _options;
    private readonly bool _handlerDoesTls;
    private TransportConnection? _firstConnection;

    public HttpClientConnection(Uri origin, ClientProtocol protocol, TransportConnection? firstConnection, ClientOptions options)
    {
        if (protocol is not (ClientProtocol.Http11 or ClientProtocol.Http2))
        {
            throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "HTTP/1.1 or h2 only");
        }

        _origin = origin;
        Protocol = protocol;
        _options = options;
        _handlerDoesTls = protocol == ClientProtocol.Http2 && origin.Scheme == Uri.UriSchemeHttps;
        if (_handlerDoesTls && firstConnection is not null)
        {
            options.Trace?.Invoke("* h2 over TLS: closing the negotiation connection; HttpClient opens its own");
            _ = firstConnection.DisposeAsync().AsTask();
            firstConnection = null;
        }

        _firstConnection = firstConnection;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            MaxConnectionsPerServer = 6, // HTTP/1.1: as browsers of the paper's time; h2 uses one
            EnableMultipleHttp2Connections = false,
        };
        if (_handlerDoesTls)
        {
            handler.SslOptions = ClientTransport.CreateTlsOptions(origin.IdnHost, [ClientProtocol.Http2.AlpnId()], options);
        }

        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public ClientProtocol Protocol { get; }

    public IReadOnlyList<PushedResponse> Pushed => [];

    public string? TimeoutHint => null;

    public Task<IReadOnlyList<PushedResponse>> WaitForPushesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PushedResponse>>([]);

    public async Task<ClientResponse> SendAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        // Unless it does TLS itself (h2), the handler must see http://: ConnectCallback hands it a secured stream.
        var target = _handlerDoesTls ? request.Url : new UriBuilder(request.Url) { Scheme = Uri.UriSchemeHttp, Port = request.Url.Port }.Uri;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), target)
        {
            Version = Protocol == ClientProtocol.Http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Headers.Host = request.Authority;
        if (request.Body is { } body)
        {
            message.Content = new ReadOnlyMemoryContent(body);
        }

        foreach (var (name, value) in request.Headers)
        {
            if (name.Equals("host", StringComparison.OrdinalIgnoreCase))
            {
                continue; // already the Host / :authority above (request.Authority)
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content ??= new ReadOnlyMemoryContent(ReadOnlyMemory<byte>.Empty);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        _options.Trace?.Invoke($"> {request.Method} {request.Url.PathAndQuery} ({Protocol.AlpnId()})");
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Translate(e);
        }

        var headers = new List<KeyValuePair<string, string>>();
        AddHeaders(headers, response.Headers);
        AddHeaders(headers, response.Content.Headers);
        _options.Trace?.Invoke($"< {(int)response.StatusCode} {response.ReasonPhrase} for {request.Url.PathAndQuery} (HTTP/{response.Version})");
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return new ClientResponse
        {
            Url = request.Url,
            Status = (int)response.StatusCode,
            Reason = response.ReasonPhrase ?? string.Empty,
            HttpVersion = $"HTTP/{response.Version}",
            Headers = headers,
            Body = new ResponseBodyStream(stream, response),
            Protocol = Protocol,
            TimeToHeaders = clock.Elapsed,
        };
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        var unused = Interlocked.Exchange(ref _firstConnection, null);
        if (unused is not null)
        {
            await unused.DisposeAsync();
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        // The connection used for ALPN negotiation serves the first request; later ones (HTTP/1.1 runs up
        // to 6 in parallel) are new connections offering only the protocol already chosen.
        var first = Interlocked.Exchange(ref _firstConnection, null);
        if (first is not null)
        {
            return first.Stream;
        }

        var tls = _origin.Scheme == Uri.UriSchemeHttps && !_handlerDoesTls;
        var connection = await ClientTransport.ConnectAsync(_origin.IdnHost, _origin.Port, tls, [Protocol.AlpnId()], _options, cancellationToken);
        if (tls && connection.AlpnProtocol is not null && connection.AlpnProtocol != Protocol.AlpnId())
        {
            await connection.DisposeAsync();
            throw new SpdyClientException(ClientErrorKind.Negotiation, $"{_origin.Authority}: asked for {Protocol.AlpnId()} by ALPN, server chose {connection.AlpnProtocol}");
        }

        return connection.Stream;
    }

    private static void AddHeaders(List<KeyValuePair<string, string>> list, HttpHeaders headers)
    {
        foreach (var (name, values) in headers.NonValidated)
        {
            foreach (var value in values)
            {
                list.Add(new(name.ToLowerInvariant(), value));
            }
        }
    }

    private static SpdyClientException Translate(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SpdyClientException client)
            {
                return client;
            }
        }

        var detail = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!detail.Contains(inner.Message, StringComparison.Ordinal))
            {
                detail += $": {inner.Message}";
            }
        }

        var kind = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            ? ClientErrorKind.Connect
            : ClientErrorKind.Protocol;
        return new SpdyClientException(kind, detail, e);
    }

    /// <summary>Disposes the response message with its body stream.</summary>
    private sealed class ResponseBodyStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Wrap(inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }

        private static async ValueTask<int> Wrap(ValueTask<int> read)
        {
            try
            {
                return await read;
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new SpdyClientException(ClientErrorKind.Protocol, $"response body broken off: {e.Message}", e);
            }
        }
    }
}
