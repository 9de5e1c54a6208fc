using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using SpdyLab.Client.Transport;
using SpdyLab.Protocol;

namespace SpdyLab.Client.Spdy;

/// <summary>
/// The client role of one SPDY session (shaped after the .NET runtime's Http2Connection): owns the transport
/// and the role-neutral <see cref="SpdySession"/>, opens one stream per request (priorities on SPDY/3's
/// 0..7 scale, scaled to the version), sends request bodies, returns responses as their SYN_REPLY arrives,
/// and keeps pushed streams in a push table. Many requests run concurrently on the one session. Engine
/// exceptions become <see cref="SpdyClientException"/> here, at the API boundary.
/// </summary>
internal sealed class SpdyClientConnection : IClientConnection
{
    private static readonly TimeSpan GoAwayGrace = TimeSpan.FromSeconds(1);

    private readonly TransportConnection _transport;
    private readonly SpdySession _session;
    private readonly Uri _origin;
    private readonly ClientOptions _options;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task _run;
    private readonly List<PushedResponse> _pushed = new();
    private readonly ResponseIdleWatchdog _watchdog;
    private CachedAuthority? _lastAuthority;
    private TaskCompletionSource _pushRecorded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private int _pushesRefused;
    private long _pushedBytes;

    private SpdyClientConnection(TransportConnection transport, ClientProtocol protocol, Uri origin, ClientOptions options)
    {
        _transport = transport;
        _origin = origin;
        _options = options;
        Protocol = protocol;
        _watchdog = new ResponseIdleWatchdog(options.ResponseIdleTimeout);
        var trace = options.Trace;
        _session = new SpdySession(
            transport.AsDuplexPipe(),
            new SpdySessionOptions
            {
                Version = ToVersion(protocol),
                Role = SpdyRole.Client,
                InitialWindowSize = options.InitialWindowSize,
                SessionWindowSize = options.SessionWindowSize,
                // Cleartext has no ALPN: a server may take our wire version 3 for SPDY/3 and never credit a session
                // window (node-spdy's cleartext server does, docs/client.md quirk 1), so the server's window binds
                // our uploads once it shows 3.1 by a WINDOW_UPDATE on stream 0 (ours sends one first thing).
                SessionWindowFromPeerUpdate = !transport.IsTls,
                Trace = trace is null ? null : line => trace($"  {line}"),
            },
            OnPushAsync);
        _run = RunAsync();
    }

    public ClientProtocol Protocol { get; }

    public SpdySessionCounters Counters => _session.Counters;

    /// <summary>Requests whose response has not ended or been disposed (for tests).</summary>
    internal int RequestsInFlight => _watchdog.Count;

    public IReadOnlyList<PushedResponse> Pushed
    {
        get
        {
            lock (_pushed)
            {
                return _pushed.ToArray();
            }
        }
    }

    public string? TimeoutHint => _session.Counters.FramesReceived == 0
        ? "the server sent no SPDY frame at all: is it a SPDY server? For HTTP servers use --protocol http/1.1 or h2"
        : null;

    public async Task<IReadOnlyList<PushedResponse>> WaitForPushesAsync(CancellationToken cancellationToken)
    {
        await PushesRecordedAsync(cancellationToken);
        var pushed = Pushed;
        await Task.WhenAll(pushed.Select(p => p.Completion)).WaitAsync(cancellationToken);
        return pushed;
    }

    /// <summary>
    /// Completes once every push the engine has read (counted when its SYN_STREAM arrived) has its entry in
    /// <see cref="Pushed"/>. The engine hands pushed streams to the client off its read loop, so for a moment
    /// after a SYN_STREAM is read the push is counted but not yet listed; code that decides "pushed or
    /// request it?" after reading content that reveals a URL waits here first (spdy3 §3.3.1: the server sends
    /// a push's SYN_STREAM before any content that could make the client request it).
    /// </summary>
    public async Task PushesRecordedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task recorded;
            lock (_pushed)
            {
                if (_pushed.Count + _pushesRefused >= _session.Counters.PushesReceived || _run.IsCompleted)
                {
                    return;
                }

                recorded = _pushRecorded.Task;
            }

            // Bounded: a session that ends stops counting, and a missed signal costs one short wait.
            await recorded.WaitAsync(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Starts a SPDY session of <paramref name="protocol"/> on an established connection.</summary>
    public static SpdyClientConnection Start(TransportConnection transport, ClientProtocol protocol, Uri origin, ClientOptions options)
    {
        options.Trace?.Invoke($"* SPDY session {protocol.AlpnId()} with {origin.Authority}");
        return new SpdyClientConnection(transport, protocol, origin, options);
    }

    public async Task<ClientResponse> SendAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        // spdy3 §3.3.2: a resource being pushed is not requested again; wait for the push instead.
        if (request.Method == "GET" && request.Body is null && HasPushes && await TakePushedAsync(request, cancellationToken) is { } fromPush)
        {
            return fromPush;
        }

        var profile = _session.Profile;
        // An explicit Host header is the :host (spdy3 §3.2.1: ":host - the hostport portion of the URL"; the caller
        // names the origin it wants, as curl -H 'Host: x' does); the profile drops the plain `host` header itself.
        var head = new SpdyRequestHead(request.Method, request.Url.Scheme, request.ExplicitHost ?? AuthorityOf(request.Url), request.Url.PathAndQuery);
        var headers = profile.CreateRequestHeaders(head, ExtraHeaders(request));
        var priority = profile.ScalePriority(request.Priority);
        var started = Stopwatch.GetTimestamp();
        SpdyStream? stream = null;
        SpdyResponseBodyStream? body = null;
        try
        {
            stream = await _session.OpenStreamAsync(headers, priority, endStream: request.Body is null, cancellationToken);
            if (request.Body is { } requestBody)
            {
                await stream.WriteDataAsync(requestBody, endStream: true, cancellationToken);
            }

            // The body object is also the request's entry in the idle watchdog: made now, it times the wait for the reply.
            body = new SpdyResponseBodyStream(stream, this);
            body.StartWaiting();
            var reply = stream.ResponseHeadersAsync;
            var responseHeaders = cancellationToken.CanBeCanceled ? await reply.WaitAsync(cancellationToken) : await reply;
            body.StopWaiting();

            if (!profile.TryReadResponseLine(responseHeaders, out var statusLine))
            {
                // spdy3 §3.2.2: a reply without a valid status is a stream error (PROTOCOL_ERROR).
                stream.Reset(RstStatus.ProtocolError);
                throw new SpdyClientException(ClientErrorKind.Protocol, $"stream {stream.Id}: the reply has no valid {profile.StatusHeader} header ({responseHeaders})");
            }

            body.ContentLength = ContentLength(responseHeaders);
            var response = new ClientResponse
            {
                Url = request.Url,
                Status = statusLine.Status,
                Reason = statusLine.Reason,
                HttpVersion = statusLine.Version,
                Headers = WithoutSpecial(responseHeaders, profile),
                Body = body,
                Protocol = Protocol,
                StreamId = stream.Id,
                TimeToHeaders = Stopwatch.GetElapsedTime(started),
            };
            body = null; // the response owns it now
            return response;
        }
        catch (SpdyStreamResetException) when (body is { TimedOut: true })
        {
            throw new SpdyClientException(ClientErrorKind.Timeout,
                $"stream {stream!.Id}: no reply from {_origin.Authority} within {_options.ResponseIdleTimeout.TotalSeconds:F0} s; stream cancelled{(TimeoutHint is { } hint ? $" ({hint})" : string.Empty)}");
        }
        catch (OperationCanceledException) when (stream is not null && cancellationToken.IsCancellationRequested)
        {
            // The caller gave up: cancel the stream too. Left open, its response would still arrive with nobody
            // reading it; in SPDY/2 (no flow control) its unread DATA soon stops the whole session's read loop
            // (back-pressure), stalling every other stream. Found by the soak (spdylab soak, resets over spdy/2).
            stream.Reset(RstStatus.Cancel);
            throw;
        }
        catch (Exception e) when (e is not SpdyClientException && Translate(e) is { } translated)
        {
            throw translated;
        }
        finally
        {
            if (body is not null)
            {
                // Failed before the response was handed out: the stream has been reset or has failed; leave the watchdog.
                body.LeaveWatchdog();
            }
        }
    }

    /// <summary>True once the server has pushed anything on this connection (only then can a request be answered
    /// from a push; the check costs no lock).</summary>
    private bool HasPushes => _session.Counters.PushesReceived > 0;

    /// <summary>The extra request headers: the caller's plus user-agent, accept and (with a body) content-length
    /// unless the caller set them. A request without headers or body (most of a page load's) takes a shared list.</summary>
    private static IReadOnlyList<KeyValuePair<string, string>> ExtraHeaders(ClientRequest request)
    {
        if (request.Headers.Count == 0 && request.Body is null)
        {
            return DefaultExtraHeaders;
        }

        var extra = new List<KeyValuePair<string, string>>(request.Headers.Count + 3);
        extra.AddRange(request.Headers);
        AddDefault(extra, "user-agent", "spdylab");
        AddDefault(extra, "accept", "*/*");
        if (request.Body is { } body && !HasHeader(extra, "content-length"))
        {
            extra.Add(new("content-length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return extra;
    }

    private static readonly KeyValuePair<string, string>[] DefaultExtraHeaders = [new("user-agent", "spdylab"), new("accept", "*/*")];

    /// <summary><see cref="ClientRequest.Authority"/>, the string kept while requests go to the same host and port
    /// (all of a connection's, but for pushes' and a single-domain session's other hosts).</summary>
    private string AuthorityOf(Uri url)
    {
        var last = _lastAuthority;
        var host = url.IdnHost;
        if (last is not null && last.Port == url.Port && last.Host == host)
        {
            return last.Authority;
        }

        var authority = url.IsDefaultPort ? host : $"{host}:{url.Port}";
        _lastAuthority = new CachedAuthority(host, url.Port, authority);
        return authority;
    }

    private sealed record CachedAuthority(string Host, int Port, string Authority);

    private async Task<ClientResponse?> TakePushedAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        PushedResponse? push;
        lock (_pushed)
        {
            push = _pushed.FirstOrDefault(p => !p.Claimed && p.Error is null && p.Url == request.Url);
            if (push is null)
            {
                return null;
            }

            push.Claimed = true;
        }

        var clock = Stopwatch.StartNew();
        await push.Completion.WaitAsync(cancellationToken);
        if (push.Error is not null)
        {
            return null; // the push failed: fetch it normally
        }

        _options.Trace?.Invoke($"* {request.Url} answered from pushed stream {push.StreamId}");
        return new ClientResponse
        {
            Url = request.Url,
            Status = push.Status,
            Headers = push.Headers,
            Body = new MemoryStream(push.Body, writable: false),
            Protocol = Protocol,
            StreamId = push.StreamId,
            FromPush = true,
            TimeToHeaders = clock.Elapsed,
        };
    }

    /// <summary>Maps engine and transport failures to the one public exception, saying what happened.</summary>
    internal SpdyClientException? Translate(Exception e) => e switch
    {
        SpdyStreamResetException reset => new SpdyClientException(ClientErrorKind.Stream, reset.ByPeer
            ? $"the server reset stream {reset.StreamId} (RST_STREAM {ResetName(reset.Status)})"
            : $"stream {reset.StreamId} was reset locally ({ResetName(reset.Status)}): {reset.Message}", e),
        SpdySessionClosedException closed => new SpdyClientException(ClientErrorKind.Protocol, $"SPDY session with {_origin.Authority} ended: {Describe(closed)}{(_session.Counters.FramesReceived == 0 ? $" ({TimeoutHint})" : string.Empty)}", e),
        SpdyProtocolException protocol => new SpdyClientException(ClientErrorKind.Protocol, $"SPDY protocol error with {_origin.Authority}: {protocol.Message}", e),
        IOException io => new SpdyClientException(ClientErrorKind.Protocol, $"connection to {_origin.Authority} failed: {io.Message}", e),
        InvalidOperationException invalid when _session.IsGoingAway => new SpdyClientException(ClientErrorKind.Protocol, $"SPDY session with {_origin.Authority} is going away: {invalid.Message}", e),
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            // Graceful: GOAWAY, then give the peer a moment; the session ends when the connection closes.
            using var grace = new CancellationTokenSource(GoAwayGrace);
            await _session.GoAwayAsync(GoAwayStatus.Ok, grace.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or ObjectDisposedException)
        {
        }

        await _lifetime.CancelAsync();
        try
        {
            await _run.WaitAsync(GoAwayGrace);
        }
        catch (TimeoutException)
        {
        }

        await _session.DisposeAsync();
        await _transport.DisposeAsync();
        _watchdog.Dispose();
        _lifetime.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            await _session.RunAsync(_lifetime.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The session's streams see the failure through their own exceptions.
        }

        if (_session.CloseReason is { } reason && Volatile.Read(ref _disposed) == 0)
        {
            _options.Trace?.Invoke($"* session ended: {reason.Message}");
        }
    }

    /// <summary>A pushed stream (spdy3 §3.3.2): record it, buffer its body, complete its entry at FIN or reset.</summary>
    private async Task OnPushAsync(SpdyStream stream)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var profile = _session.Profile;
        var target = profile.ReadRequest(stream.Headers);
        var url = PushedUrl(target);
        var pushed = new PushedResponse
        {
            Url = url ?? new Uri(_origin, "/"),
            StreamId = stream.Id,
            AssociatedStreamId = stream.AssociatedStreamId,
            Completion = completion.Task,
        };
        var refused = false;
        lock (_pushed)
        {
            // Check and add under one lock: pushes are handed over concurrently.
            if (_pushed.Count >= _options.MaxPushesPerConnection)
            {
                // A server pushing without end: refuse, and keep no record (bounded memory).
                refused = true;
                if (_pushesRefused++ == 0)
                {
                    _options.Trace?.Invoke($"* more than {_options.MaxPushesPerConnection} pushes on this connection: refusing the rest");
                }
            }
            else
            {
                _pushed.Add(pushed);
            }

            var recorded = _pushRecorded;
            _pushRecorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            recorded.TrySetResult();
        }

        if (refused)
        {
            stream.Reset(RstStatus.RefusedStream);
            return;
        }

        try
        {
            if (url is null)
            {
                // spdy3 §3.3.2: a push without :host, :scheme and :path is answered with RST_STREAM.
                stream.Reset(RstStatus.ProtocolError);
                pushed.Error = $"pushed stream {stream.Id} names no URL ({stream.Headers})";
                return;
            }

            using var body = new MemoryStream();
            while (true)
            {
                var result = await stream.Input.ReadAsync(_lifetime.Token);
                foreach (var segment in result.Buffer)
                {
                    body.Write(segment.Span);
                }

                var total = Interlocked.Add(ref _pushedBytes, result.Buffer.Length);
                stream.Input.AdvanceTo(result.Buffer.End);
                if (body.Length > _options.MaxPushedBodyBytes)
                {
                    stream.Reset(RstStatus.Cancel);
                    pushed.Error = $"pushed body larger than {_options.MaxPushedBodyBytes} bytes; cancelled";
                    break;
                }

                if (total > _options.MaxPushedBytesPerConnection)
                {
                    stream.Reset(RstStatus.Cancel);
                    pushed.Error = $"pushed bodies on this connection exceed {_options.MaxPushedBytesPerConnection} bytes; cancelled";
                    body.SetLength(0);
                    break;
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }

            await stream.Input.CompleteAsync();
            pushed.Body = body.ToArray();
            var all = stream.Headers.Clone();
            if (stream.Trailers is { } later)
            {
                foreach (var (name, value) in later)
                {
                    all.Add(name, value);
                }
            }

            pushed.Status = profile.ReadResponse(all)?.Status ?? 0;
            pushed.Headers = WithoutSpecial(all, profile);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            pushed.Error = Translate(e)?.Message ?? e.Message;
        }
        finally
        {
            completion.TrySetResult();
        }
    }

    private Uri? PushedUrl(SpdyRequestHead target)
    {
        if (target.Path is null)
        {
            return null;
        }

        var scheme = target.Scheme ?? _origin.Scheme;
        var host = target.Host ?? _origin.Authority;
        return Uri.TryCreate($"{scheme}://{host}{(target.Path.StartsWith('/') ? string.Empty : "/")}{target.Path}", UriKind.Absolute, out var url) ? url : null;
    }

    private static SpdyVersion ToVersion(ClientProtocol protocol) => protocol switch
    {
        ClientProtocol.Spdy31 => SpdyVersion.Spdy31,
        ClientProtocol.Spdy3 => SpdyVersion.Spdy3,
        ClientProtocol.Spdy2 => SpdyVersion.Spdy2,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "not a SPDY version"),
    };

    private static void AddDefault(List<KeyValuePair<string, string>> headers, string name, string value)
    {
        if (!HasHeader(headers, name))
        {
            headers.Add(new(name, value));
        }
    }

    private static bool HasHeader(List<KeyValuePair<string, string>> headers, string name)
    {
        foreach (var header in headers)
        {
            if (header.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Response headers without the ones carrying the status line (v2 status/version, v3 :names), in one
    /// array of the right size.</summary>
    private static KeyValuePair<string, string>[] WithoutSpecial(HeaderList headers, SpdyProtocolProfile profile)
    {
        var count = 0;
        foreach (var header in headers)
        {
            count += IsSpecial(header.Key, profile) ? 0 : 1;
        }

        if (count == 0)
        {
            return [];
        }

        var result = new KeyValuePair<string, string>[count];
        var i = 0;
        foreach (var header in headers)
        {
            if (!IsSpecial(header.Key, profile))
            {
                result[i++] = header;
            }
        }

        return result;
    }

    private static bool IsSpecial(string name, SpdyProtocolProfile profile) =>
        name.StartsWith(':') || name == profile.StatusHeader || name == profile.VersionHeader;

    private static string ResetName(RstStatus status) => status switch
    {
        RstStatus.ProtocolError => "PROTOCOL_ERROR",
        RstStatus.InvalidStream => "INVALID_STREAM",
        RstStatus.RefusedStream => "REFUSED_STREAM",
        RstStatus.UnsupportedVersion => "UNSUPPORTED_VERSION",
        RstStatus.Cancel => "CANCEL",
        RstStatus.InternalError => "INTERNAL_ERROR",
        RstStatus.FlowControlError => "FLOW_CONTROL_ERROR",
        RstStatus.StreamInUse => "STREAM_IN_USE",
        RstStatus.StreamAlreadyClosed => "STREAM_ALREADY_CLOSED",
        RstStatus.InvalidCredentials => "INVALID_CREDENTIALS",
        RstStatus.FrameTooLarge => "FRAME_TOO_LARGE",
        _ => $"status {(uint)status}",
    };

    private static string Describe(Exception e)
    {
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!message.Contains(inner.Message, StringComparison.Ordinal))
            {
                message += $": {inner.Message}";
            }
        }

        return message;
    }

    private static long? ContentLength(HeaderList headers) =>
        long.TryParse(headers.Get("content-length"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) ? length : null;

    /// <summary>A response body over the stream's input pipe. Disposing before the end cancels the stream
    /// (RST_STREAM CANCEL), so an abandoned download does not keep the peer sending.
    /// A reset that arrives once the whole body announced by content-length has been read ends the body
    /// normally: node-spdy answers a WINDOW_UPDATE that crossed its last DATA with RST_STREAM INVALID_STREAM
    /// and sends its (empty) FIN frame after the reset (docs/client.md, quirk 9). A shorter body still fails.
    /// It is also the request's entry in the connection's idle watchdog, from the wait for the reply until the body
    /// ends or is disposed: a read that waits longer than the idle timeout has its stream reset and fails with a
    /// timeout. A read that finds bytes in the pipe takes them without waiting (no task, no timer).</summary>
    private sealed class SpdyResponseBodyStream : Stream, ResponseIdleWatchdog.IEntry
    {
        private readonly SpdyStream _stream;
        private readonly SpdyClientConnection _connection;
        private readonly PipeReader _input;
        private readonly int _slot;
        private long _waitingSince;
        private volatile bool _timedOut;
        private SpdyClientException? _timeout; // the mid-response timeout, thrown again by every later read
        private bool _ended;
        private bool _disposed;
        private long _read;

        public SpdyResponseBodyStream(SpdyStream stream, SpdyClientConnection connection)
        {
            _stream = stream;
            _connection = connection;
            _input = stream.Input;
            _slot = _connection._watchdog.Add(this);
        }

        public long? ContentLength { get; set; }

        public long WaitingSince => Volatile.Read(ref _waitingSince);

        /// <summary>The idle watchdog reset the stream: the failure that follows is a timeout.</summary>
        public bool TimedOut => _timedOut;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // Pooled: a read that has to wait would otherwise cost a state machine box.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_timeout is not null)
            {
                throw _timeout;
            }

            if (_ended)
            {
                return 0;
            }

            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!_input.TryRead(out var result))
                {
                    StartWaiting();
                    try
                    {
                        result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        StopWaiting();
                    }
                }

                if (result.IsCanceled)
                {
                    _input.AdvanceTo(result.Buffer.Start);
                    throw new OperationCanceledException("the read was cancelled");
                }

                var available = result.Buffer;
                var length = (int)Math.Min(available.Length, buffer.Length);
                available.Slice(0, length).CopyTo(buffer.Span);
                _input.AdvanceTo(available.GetPosition(length));
                _read += length;
                if (length == 0 && result.IsCompleted && buffer.Length > 0)
                {
                    End();
                }

                return length;
            }
            catch (SpdyStreamResetException) when (_timedOut)
            {
                // The server stopped sending mid-response: the watchdog gave up on the stream; say so. Not End(): the
                // body is cut short, so a later read must fail the same way, never return 0 as at a complete body's end.
                LeaveWatchdog();
                _timeout = new SpdyClientException(ClientErrorKind.Timeout,
                    $"stream {_stream.Id}: no data from the server for {_connection._options.ResponseIdleTimeout.TotalSeconds:F0} s mid-response; stream cancelled");
                throw _timeout;
            }
            catch (SpdyStreamResetException reset) when (reset.ByPeer && ContentLength == _read)
            {
                _connection._options.Trace?.Invoke($"* stream {_stream.Id}: reset by the server ({ResetName(reset.Status)}) after the whole body ({_read} bytes); body complete");
                End();
                return 0;
            }
            catch (Exception e) when (e is not SpdyClientException && _connection.Translate(e) is { } translated)
            {
                throw translated;
            }
        }

        public void StartWaiting() => Volatile.Write(ref _waitingSince, Math.Max(1, Stopwatch.GetTimestamp()));

        public void StopWaiting() => Volatile.Write(ref _waitingSince, 0);

        public void Expire()
        {
            _timedOut = true;
            _stream.Reset(RstStatus.Cancel);
        }

        public void LeaveWatchdog() => _connection._watchdog.Remove(_slot, this);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                if (!_ended && !_stream.IsClosed)
                {
                    _stream.Reset(RstStatus.Cancel);
                }

                _input.Complete();
                LeaveWatchdog();
            }

            base.Dispose(disposing);
        }

        /// <summary>The body ended (FIN, or failed): the request leaves the watchdog.</summary>
        private void End()
        {
            _ended = true;
            LeaveWatchdog();
        }
    }
}
