using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SpdyLab.Protocol;
using SpdyLab.Server.Http;
using RequestHead = SpdyLab.Server.Http.SpdyRequestHead;

namespace SpdyLab.Server.Hosting;

/// <summary>Runs one SPDY session over a Kestrel connection, its streams as requests of the captured app.</summary>
public sealed class SpdyConnectionHandler
{
    // Idle request contexts kept per session at most (a session runs up to MaxConcurrentStreams at once).
    private const int MaxPooledRequests = 256;

    private readonly SpdyRequestRunner _runner;
    private readonly SessionCounterTotals _totals = new();

    public SpdyConnectionHandler(SpdyApplication application, IOptions<SpdyServerOptions> options, ILoggerFactory loggerFactory)
    {
        Application = application;
        Options = options.Value;
        Logger = loggerFactory.CreateLogger("SpdyLab.Server");
        _runner = new SpdyRequestRunner(application, Options, Logger);
    }

    internal SpdyServerOptions Options { get; }

    internal ILogger Logger { get; }

    internal SpdyApplication Application { get; }

    /// <summary>Counters summed over every session that ended, plus each ended session's own (for the lab).</summary>
    public SessionCounterTotals Totals => _totals;

    /// <summary>Raised when a session ends, with its counters.</summary>
    public event Action<SessionReport>? SessionEnded;

    internal async Task HandleAsync(ConnectionContext connection, SpdyWireVersion version, bool isTls, bool sessionWindowFromPeerUpdate = false)
    {
        var protocolVersion = version switch
        {
            SpdyWireVersion.Spdy2 => SpdyVersion.Spdy2,
            SpdyWireVersion.Spdy3 => SpdyVersion.Spdy3,
            _ => SpdyVersion.Spdy31,
        };
        var alpn = SpdyServerOptions.AlpnId(version);
        var info = new SpdyConnectionInfo(connection.ConnectionId, connection.LocalEndPoint as IPEndPoint, connection.RemoteEndPoint as IPEndPoint,
            connection.Features.Get<ITlsConnectionFeature>(), alpn);
        var scheme = isTls ? "https" : "http";
        var options = new SpdySessionOptions
        {
            Version = protocolVersion,
            Role = SpdyRole.Server,
            MaxConcurrentStreams = Options.MaxConcurrentStreams,
            IdleTimeout = Options.IdleTimeout,
            InitialWindowSize = Options.InitialWindowSize,
            SessionWindowSize = Math.Max(Options.SessionWindowSize, 65536),
            SessionWindowFromPeerUpdate = sessionWindowFromPeerUpdate,
            HeaderCompression = Options.HeaderCompression,
            Trace = Logger.IsEnabled(LogLevel.Trace) ? line => Logger.LogTrace("{Connection} {Frame}", connection.ConnectionId, line) : null,
        };
        var started = DateTime.UtcNow;
        SpdySession? session = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        var guard = new PeerResetGuard(Options.MaxPeerResets, Options.PeerResetWindow);
        SessionRequestPool? requests = null;
        session = new SpdySession(connection.Transport, options, stream => HandleStreamAsync(session!, requests!, stream, scheme, guard, stop, connection.ConnectionId));
        requests = new SessionRequestPool(session, info, Options.PushEnabled, Math.Clamp(Options.MaxConcurrentStreams, 1, MaxPooledRequests));
        Logger.LogInformation("connection {Id} from {Remote}: {Protocol} ({Transport})", connection.ConnectionId, connection.RemoteEndPoint,
            sessionWindowFromPeerUpdate ? "spdy/3 or spdy/3.1 (3.1 once the peer sends a session WINDOW_UPDATE)" : alpn, isTls ? "TLS" : "cleartext");

        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        using var shutdownRegistration = lifetime?.ConnectionClosedRequested.Register(() => _ = ShutdownAsync(session, stop, connection.ConnectionId));
        try
        {
            await session.RunAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            Logger.LogDebug(e, "connection {Id}: session ended with an error", connection.ConnectionId);
        }
        finally
        {
            if (session.CloseReason is { } reason && reason is not OperationCanceledException)
            {
                Logger.LogInformation("connection {Id}: session closed: {Reason}", connection.ConnectionId, reason.Message);
            }
            if (sessionWindowFromPeerUpdate && !session.SessionWindowEnforced)
            {
                alpn = SpdyServerOptions.AlpnId(SpdyWireVersion.Spdy3); // the peer never showed 3.1 behaviour
            }
            var report = new SessionReport(connection.ConnectionId, alpn, isTls, started, DateTime.UtcNow, SessionCounterSnapshot.From(session.Counters));
            _totals.Add(report.Counters);
            Logger.LogInformation("connection {Id}: {Protocol} session ended: {Counters}", connection.ConnectionId, alpn, session.Counters);
            SessionEnded?.Invoke(report);
            await session.DisposeAsync();
        }
    }

    /// <summary>Graceful shutdown (SPDY/3 §2.6.6): GOAWAY, let in-flight streams finish, then close (bounded).</summary>
    private async Task ShutdownAsync(SpdySession session, CancellationTokenSource stop, string connectionId)
    {
        try
        {
            using var bound = new CancellationTokenSource(Options.ShutdownTimeout);
            await session.GoAwayAsync(GoAwayStatus.Ok, bound.Token);
            while (session.ActiveStreamCount > 0 && !bound.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
            }
            if (session.ActiveStreamCount > 0)
            {
                Logger.LogInformation("connection {Id}: {Count} streams still running after {Timeout}; closing", connectionId, session.ActiveStreamCount, Options.ShutdownTimeout);
            }
        }
        catch (Exception e)
        {
            Logger.LogDebug(e, "connection {Id}: graceful shutdown", connectionId);
        }
        finally
        {
            // The engine closes by itself once drained; this is the bound.
            try
            {
                stop.CancelAfter(TimeSpan.FromMilliseconds(200));
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task HandleStreamAsync(SpdySession session, SessionRequestPool requests, SpdyStream stream, string defaultScheme,
        PeerResetGuard guard, CancellationTokenSource stop, string connectionId)
    {
        var pooled = requests.Rent(stream);
        var transport = pooled.Transport;
        try
        {
            await HandleRequestAsync(session, stream, pooled, defaultScheme);
        }
        catch (Exception e) when (stream.Aborted.IsCancellationRequested)
        {
            Logger.LogDebug("stream {StreamId}: reset before it was handled ({Message})", stream.Id, e.Message);
        }
        var resetLocally = transport.ResetLocally;
        // The request is over (the runner returned, or it never started): the pair may serve the session's next stream.
        requests.Return(pooled);
        // Rapid reset (CVE-2023-44487's pattern, which SPDY allows as well): a client that opens streams and
        // resets them before the answer makes the server work for nothing. Too many in a window: GOAWAY.
        if (stream.Aborted.IsCancellationRequested && !resetLocally && !session.IsGoingAway && guard.CountAndCheck())
        {
            Logger.LogWarning("connection {Id}: more than {Max} requests reset by the client within {Window}; GOAWAY PROTOCOL_ERROR",
                connectionId, Options.MaxPeerResets, Options.PeerResetWindow);
            try
            {
                await session.GoAwayAsync(GoAwayStatus.ProtocolError);
            }
            catch (Exception)
            {
            }
            try
            {
                stop.CancelAfter(TimeSpan.FromMilliseconds(100));
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task HandleRequestAsync(SpdySession session, SpdyStream stream, PooledRequest pooled, string defaultScheme)
    {
        var transport = pooled.Transport;
        var profile = session.Profile;
        var request = profile.ReadRequestLine(stream.Headers); // a struct: no request-head object per request
        // The pair's own list and head, refilled (the last request of this pair is over; see SessionRequestPool).
        var headers = pooled.RequestHeaders;
        headers.Clear();
        foreach (var (name, value) in stream.Headers)
        {
            if (!profile.IsReservedHeader(name))
            {
                headers.Add(new(name, value));
            }
        }
        var (method, scheme, host, path, version) = (request.Method ?? "", request.Scheme ?? defaultScheme, request.Host ?? "", request.Path ?? "", request.Version ?? "");
        var head = pooled.Head?.Refill(method, scheme, host, path, version, headers)
            ?? (pooled.Head = new RequestHead(method, scheme, host, path, version, headers));
        if (request.Method is null || request.Path is null || request.Version is null || (profile.Version != SpdyVersion.Spdy2 && request.Host is null)
            || !request.Path.StartsWith('/'))
        {
            // SPDY/3 §3.2.1 (SPDY/2 › Request): a request without method, path, version (or host, scheme) gets 400.
            Logger.LogDebug("stream {StreamId}: incomplete request headers ({Headers}); 400", stream.Id, stream.Headers);
            try
            {
                await transport.SendHeadersAsync(400, [new("content-length", "0")], endStream: true, stream.Aborted);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
            }
            return;
        }

        // A SYN_STREAM with FIN has no body: its input is already complete (the engine completes it before dispatch).
        var hasBody = true;
        if (stream.Input.TryRead(out var peek))
        {
            hasBody = !(peek.IsCompleted && peek.Buffer.IsEmpty);
            stream.Input.AdvanceTo(peek.Buffer.Start);
        }
        var context = pooled.Context;
        context.Start(head, hasBody ? stream.Input : null, transport, stream.Id, stream.Priority, isPush: false, stream.Aborted, Options.RequestBodyTimeout);
        await _runner.RunAsync(context);
        if (!hasBody)
        {
            await stream.Input.CompleteAsync();
        }
    }

    /// <summary>Counts requests the client reset before their answer, in a sliding window.</summary>
    private sealed class PeerResetGuard(int max, TimeSpan window)
    {
        private readonly Queue<long> _times = new();

        public bool CountAndCheck()
        {
            var now = Environment.TickCount64;
            lock (_times)
            {
                _times.Enqueue(now);
                while (_times.Count > 0 && now - _times.Peek() > window.TotalMilliseconds)
                {
                    _times.Dequeue();
                }
                return _times.Count > max;
            }
        }
    }
}
