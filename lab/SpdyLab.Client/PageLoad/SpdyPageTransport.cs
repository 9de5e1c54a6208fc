using System.Diagnostics.CodeAnalysis;
using SpdyLab.Client.Spdy;
using SpdyLab.Client.Transport;

namespace SpdyLab.Client.PageLoad;

/// <summary>
/// SPDY for the page loader, on the client's <see cref="SpdyClientConnection"/>: one session per host
/// ("multi-domain") or one session for every host ("single-domain": every host is served at one
/// address and <c>:host</c> routes). Each request is a stream with its resource type's priority;
/// pushed streams go into the push cache, which the loader consults before requesting. Header bytes
/// on the wire come from the sessions' compressed header-block counters.
/// </summary>
public sealed class SpdyPageTransport : IPageTransport
{
    // SPDY carries no connection-specific headers (spdy3 §3.2.1); Host travels as :host.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Content-Length",
    };

    private readonly SpdyTransportContext _context;
    private readonly ClientProtocol _protocol;
    private readonly Dictionary<string, Task<SpdyClientConnection>> _sessions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<SpdyClientConnection, ConnectionRecord> _records = new();
    private readonly HashSet<PushedResponse> _adopted = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, Task> _lastOpened = new(StringComparer.OrdinalIgnoreCase);
    private readonly PushCache _pushes;
    private int _pushOrder = 100_000;

    public SpdyPageTransport(SpdyTransportContext context)
    {
        _context = context;
        _protocol = ClientProtocols.FromAlpnId(context.Options.Protocol) is { } p && p.IsSpdy()
            ? p
            : throw new PageLoadException($"'{context.Options.Protocol}' is not a SPDY version");
        _pushes = new PushCache { Refresh = CollectPushes, Settle = ct => Task.WhenAll(Sessions().Select(s => s.PushesRecordedAsync(ct))) };
    }

    public string Protocol => _context.Options.Protocol;

    public IReadOnlyList<ConnectionRecord> Connections => _context.Connector.Connections;

    public PushCache Pushes => _pushes;

    /// <summary>Compressed header-block bytes sent and received over every session.</summary>
    public (long Sent, long Received)? HeaderWireBytes
    {
        get
        {
            var sessions = Sessions();
            return (sessions.Sum(s => s.Counters.HeaderBytesSentCompressed), sessions.Sum(s => s.Counters.HeaderBytesReceivedCompressed));
        }
    }

    public async Task FetchAsync(ResourceLoad load, Action<ResourceLoad> onHeaders, CancellationToken cancellationToken)
    {
        var resource = load.Resource;
        var key = _context.Options.SingleDomain ? "*" : resource.Uri.Host;
        Task<SpdyClientConnection> sessionTask;
        var opener = false;
        Task previous;
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sessions)
        {
            if (!_sessions.TryGetValue(key, out sessionTask!))
            {
                sessionTask = OpenSessionAsync(resource, key, load, cancellationToken);
                _sessions[key] = sessionTask;
                opener = true;
            }

            // Streams open in the order the loader hands requests over, also for those that waited for the
            // session's connection (continuations of one task resume in no set order).
            previous = _lastOpened.GetValueOrDefault(key, Task.CompletedTask);
            _lastOpened[key] = opened.Task;
        }

        SpdyClientConnection session;
        Task<ClientResponse> sending;
        ConnectionRecord record;
        try
        {
            session = await sessionTask;
            await previous;
            if (!opener)
            {
                load.ConnectStart = -1;
            }

            lock (_sessions)
            {
                record = _records[session];
            }

            var headers = resource.RequestHeaders.Where(h => !NotForwarded.Contains(h.Key)).ToList();
            load.RequestHeaders = headers;
            load.RequestHeaderBytesRaw = ResourceLoad.Http11RequestHeaderSize(resource.Method, resource.PathAndQuery, headers.Prepend(new("Host", resource.Authority)));
            load.HeaderBytesKnown = false;
            load.ConnectionId = record.Id;
            load.ServerAddress = record.Remote;
            var url = new Uri($"{load.RequestUrl.Scheme}://{resource.Authority}{resource.PathAndQuery}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
            var request = new ClientRequest(url) { Method = resource.Method, Headers = headers, Priority = resource.Type.SpdyPriority() };
            load.SendStart = _context.Clock();
            sending = session.SendAsync(request, cancellationToken); // the SYN_STREAM is queued before this returns
        }
        finally
        {
            opened.TrySetResult();
        }

        await using var response = await sending;
        if (response.FromPush)
        {
            // A push that reached the session after the loader looked in its cache: the session answered from it.
            load.FromPush = true;
            load.SendStart = -1;
            _pushes.AddUsed(resource.Key, load);
        }
        else
        {
            lock (record)
            {
                record.Requests++;
            }
        }

        load.SendEnd = load.SendStart;
        load.FirstByte = _context.Clock();
        load.Status = response.Status;
        load.StatusText = response.Reason;
        load.HttpVersion = response.HttpVersion;
        load.ResponseHeaders = response.Headers.ToList();
        load.ResponseHeaderBytesRaw = ResourceLoad.Http11ResponseHeaderSize(load.Status, load.StatusText, load.ResponseHeaders);
        onHeaders(load);
        using var body = new MemoryStream();
        await response.Body.CopyToAsync(body, cancellationToken);
        load.Body = body.ToArray();
        load.ResponseBodyWireBytes = load.Body.Length;
        load.End = _context.Clock();
    }

    private async Task<SpdyClientConnection> OpenSessionAsync(PageResource first, string key, ResourceLoad load, CancellationToken cancellationToken)
    {
        var tls = _context.Options.Tls;
        load.ConnectStart = _context.Clock();
        var opened = await _context.Connector.ConnectAsync(first.Uri.Host, key, tls ? [_protocol.AlpnId()] : null, cancellationToken);
        load.ConnectEnd = load.ConnectStart + opened.Record.ConnectMs;
        if (tls)
        {
            load.TlsStart = load.ConnectEnd;
            load.TlsEnd = load.TlsStart + opened.Record.TlsMs;
            if (opened.Record.Alpn != _protocol.AlpnId())
            {
                await opened.DisposeAsync();
                throw new PageLoadException($"{first.Authority}: server chose ALPN '{opened.Record.Alpn ?? "(none)"}', not {_protocol.AlpnId()}");
            }
        }

        var transport = new TransportConnection(opened.Stream, null, tls, opened.Record.Alpn, TimeSpan.FromMilliseconds(opened.Record.ConnectMs), TimeSpan.FromMilliseconds(opened.Record.TlsMs), opened.Record.TlsVersion);
        var origin = new Uri($"{(tls ? "https" : "http")}://{first.Authority}/");
        var session = SpdyClientConnection.Start(transport, _protocol, origin, new ClientOptions { Protocol = _protocol, ResponseIdleTimeout = _context.Options.Timeout });
        lock (_sessions)
        {
            _records[session] = opened.Record;
        }

        return session;
    }

    private List<SpdyClientConnection> Sessions()
    {
        lock (_sessions)
        {
            return _sessions.Values.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
        }
    }

    /// <summary>Moves pushes the sessions received into the cache, each as a load that completes with its stream.</summary>
    private void CollectPushes(Action<string, ResourceLoad> add)
    {
        foreach (var session in Sessions())
        {
            var record = _records[session];
            foreach (var pushed in session.Pushed)
            {
                lock (_adopted)
                {
                    if (!_adopted.Add(pushed))
                    {
                        continue;
                    }
                }

                var resource = _context.Page.Find(pushed.Url) ?? new PageResource(pushed.Url.AbsoluteUri, ResourceType.Other, []);
                var load = new ResourceLoad(resource, pushed.Url, Interlocked.Increment(ref _pushOrder))
                {
                    DiscoveredBy = "push",
                    DiscoveredAt = _context.Clock(),
                    FromPush = true,
                    ConnectionId = record.Id,
                    ServerAddress = record.Remote,
                    HeaderBytesKnown = false,
                    PushDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
                };
                _ = pushed.Completion.ContinueWith(
                    _ =>
                    {
                        load.Status = pushed.Status;
                        load.StatusText = string.Empty;
                        load.ResponseHeaders = pushed.Headers.ToList();
                        load.ResponseHeaderBytesRaw = ResourceLoad.Http11ResponseHeaderSize(load.Status, load.StatusText, load.ResponseHeaders);
                        load.Body = pushed.Body;
                        load.ResponseBodyWireBytes = pushed.Body.Length;
                        load.Error = pushed.Error;
                        load.FirstByte = load.End = _context.Clock();
                        load.PushDone!.TrySetResult();
                    },
                    TaskScheduler.Default);
                add(resource.Key, load);
            }
        }
    }

    [SuppressMessage("Design", "CA1031", Justification = "closing: errors no longer matter")]
    public async ValueTask DisposeAsync()
    {
        List<Task<SpdyClientConnection>> sessions;
        lock (_sessions)
        {
            sessions = _sessions.Values.ToList();
        }

        foreach (var task in sessions)
        {
            try
            {
                await (await task).DisposeAsync();
            }
            catch (Exception)
            {
            }
        }
    }
}
