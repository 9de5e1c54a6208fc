using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using System.Collections.Frozen;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace SpdyLab.Server.Http;

/// <summary>Connection-level facts every request context of one session shares.</summary>
internal sealed record SpdyConnectionInfo(string ConnectionId, IPEndPoint? Local, IPEndPoint? Remote, ITlsConnectionFeature? Tls, string Protocol);

/// <summary>
/// One SPDY stream as an ASP.NET Core request: the HTTP feature interfaces over a <see cref="StreamTransport"/>.
/// Created per stream (or per pushed resource), run through the captured app, then completed.
/// </summary>
internal sealed partial class SpdyRequestContext :
    IHttpRequestFeature,
    IHttpResponseFeature,
    IHttpResponseBodyFeature,
    IHttpRequestBodyDetectionFeature,
    IHttpConnectionFeature,
    IHttpRequestLifetimeFeature,
    IHttpRequestIdentifierFeature,
    ISpdyStreamFeature,
    ISpdyPushFeature
{
    private StreamTransport _transport;
    // A source of our own only when the transport's Reset does not cancel the stream's token at once (a push before
    // its stream exists, test transports); over a session stream RequestAborted is the stream's token (a linked
    // source per request cost three objects and a registration).
    private CancellationTokenSource? _aborted;
    private CancellationToken _abortedToken;
    private readonly SpdyConnectionInfo _connection;
    private readonly ResponseBodyWriter _writer;
    // Kept across requests when the context is reused (SessionRequestPool): cleared, not remade, per request.
    private readonly HeaderDictionary _requestHeaders = new();
    private readonly HeaderDictionary _responseHeaders = new();
    // The response head as the transport takes it, filled once per response (the transport copies it into its
    // header block before its send returns, so one list per context serves every request it runs).
    private readonly List<KeyValuePair<string, string>> _spdyHeaders = new(8);
    // Made on first registration: most requests register none.
    private List<(Func<object, Task> Callback, object State)>? _onStarting;
    private List<(Func<object, Task> Callback, object State)>? _onCompleted;
    private readonly ResponseLock _responseLock = new();
    private Func<SpdyRequestContext, Push.PushCoordinator>? _createPush;
    private Push.PushCoordinator? _push;
    private string? _traceIdentifier;
    private Stream? _responseStream;
    // False while the context waits in a pool between requests: what an app that kept a feature reference does then
    // fails (writes) or does nothing (Abort) instead of touching the stream of the next request.
    private bool _inUse;
    private bool _started;
    private bool _completed;
    private int _statusCode = 200;
    private long? _contentLength;
    private long _bodyBytesSent;

    public SpdyRequestContext(SpdyRequestHead head, PipeReader? requestBody, StreamTransport transport, SpdyConnectionInfo connection,
        int streamId, int priority, bool isPush, CancellationToken streamAborted, TimeSpan? bodyTimeout = null)
        : this(connection)
    {
        Start(head, requestBody, transport, streamId, priority, isPush, streamAborted, bodyTimeout);
    }

    /// <summary>An idle context for <see cref="Hosting.SessionRequestPool"/>: <see cref="Start"/> gives it a request.</summary>
    internal SpdyRequestContext(SpdyConnectionInfo connection)
    {
        _connection = connection;
        _transport = null!;
        Head = null!;
        Protocol = HttpProtocolName(connection.Protocol);
        Scheme = Method = Path = QueryString = RawTarget = "";
        Headers = _requestHeaders;
        ResponseHeaders = _responseHeaders;
        Body = Stream.Null;
        _writer = new ResponseBodyWriter(this);
    }

    /// <summary>
    /// Takes on one request: every per-request field is set here (a reused context must start as clean as a new one).
    /// </summary>
    internal void Start(SpdyRequestHead head, PipeReader? requestBody, StreamTransport transport,
        int streamId, int priority, bool isPush, CancellationToken streamAborted, TimeSpan? bodyTimeout = null)
    {
        _transport = transport;
        StreamId = streamId;
        Priority = priority;
        IsPush = isPush;
        if (transport.ResetCancelsAborted)
        {
            _aborted = null;
            _abortedToken = streamAborted;
        }
        else
        {
            _aborted = CancellationTokenSource.CreateLinkedTokenSource(streamAborted);
            _abortedToken = _aborted.Token;
        }
        Head = head;
        RequestBodyReader = requestBody;
        Method = head.Method;
        Scheme = head.Scheme;
        PathBase = "";
        var queryStart = head.PathAndQuery.IndexOf('?');
        var path = queryStart < 0 ? head.PathAndQuery : head.PathAndQuery[..queryStart];
        // Like Kestrel: the raw target stays in RawTarget; Path is unescaped (but "%2F" kept escaped).
        Path = path.Contains('%') ? Uri.UnescapeDataString(path.Replace("%2F", "%252F", StringComparison.OrdinalIgnoreCase)) : path;
        QueryString = queryStart < 0 ? "" : head.PathAndQuery[queryStart..];
        RawTarget = head.PathAndQuery;
        Protocol = HttpProtocolName(_connection.Protocol);
        // The app may have replaced either dictionary, or left ours read-only: ours again, emptied (Clear keeps the
        // dictionary's storage, which is the point of keeping them).
        _requestHeaders.IsReadOnly = false;
        _requestHeaders.Clear();
        Headers = _requestHeaders;
        Headers.Host = head.Host;
        CopyRequestHeaders(head.Headers, _requestHeaders);
        Body = requestBody is null ? Stream.Null : new RequestBodyStream(requestBody.AsStream(), bodyTimeout ?? Timeout.InfiniteTimeSpan, this);
        _responseHeaders.IsReadOnly = false;
        _responseHeaders.Clear();
        ResponseHeaders = _responseHeaders;
        ReasonPhrase = null;
        _statusCode = 200;
        _started = false;
        _completed = false;
        _contentLength = null;
        _bodyBytesSent = 0;
        DropRequestCallbacks();
        _push = null;
        _traceIdentifier = null;
        _writer.Reset();
        InitConnection(); // a middleware (forwarded headers) may have rewritten the addresses of the last request
        InitializeFeatures(_connection.Tls);
        _inUse = true;
    }

    /// <summary>
    /// Ends the request's hold on this context so a pool can run another request in it; false when something may
    /// still reach it and it must be left to the GC instead: a push coordinator (pushes run against their associated
    /// request, and an app may call PushAsync without awaiting it), or a response-lock holder or waiter (an app write
    /// still in flight would take the lock after the hand-over and see the next request's state). Call only after
    /// the runner finished the request (OnCompleted callbacks ran, hosting disposed its context).
    /// </summary>
    internal bool TryEndForReuse()
    {
        if (!_inUse || _push is not null || !_responseLock.IsFree)
        {
            return false;
        }
        _inUse = false;
        // Let go of the request's objects now (not at the next Start): an idle context keeps nothing of a request alive.
        _transport = null!;
        _aborted = null;
        _abortedToken = CancellationToken.None;
        Head = null!;
        RequestBodyReader = null;
        Body = Stream.Null;
        DropRequestCallbacks();
        _otherFeatures?.Clear();
        return true;
    }

    /// <summary>What the runner and the app hooked onto the request: callbacks, the push factory, the pre-headers hook.</summary>
    private void DropRequestCallbacks()
    {
        _onStarting?.Clear();
        _onCompleted?.Clear();
        _createPush = null;
        BeforeHeadersSent = null;
    }

    /// <summary>True between <see cref="Start"/> and <see cref="TryEndForReuse"/>.</summary>
    internal bool InUse => _inUse;

    private void ThrowIfNotInUse()
    {
        if (!_inUse)
        {
            throw new ObjectDisposedException(nameof(SpdyRequestContext), "the request has ended; its context is waiting to be reused");
        }
    }

    public SpdyRequestHead Head { get; private set; }

    /// <summary>Null when the SYN_STREAM carried FIN (no body).</summary>
    public PipeReader? RequestBodyReader { get; private set; }

    /// <summary>Runs just before the response head is sent, after OnStarting callbacks (push starts here).</summary>
    public Func<SpdyRequestContext, Task>? BeforeHeadersSent { get; set; }

    public bool ResponseCompleted => _completed;

    internal StreamTransport Transport => _transport;

    internal SpdyConnectionInfo Connection => _connection;

    // ---- ISpdyStreamFeature
    string ISpdyStreamFeature.Protocol => _connection.Protocol;

    public int StreamId { get; private set; }

    public int Priority { get; private set; }

    public bool IsPush { get; private set; }

    // ---- IHttpRequestFeature
    public string Protocol { get; set; }

    public string Scheme { get; set; }

    public string Method { get; set; }

    public string PathBase { get; set; } = "";

    public string Path { get; set; }

    public string QueryString { get; set; }

    public string RawTarget { get; set; }

    public IHeaderDictionary Headers { get; set; }

    public Stream Body { get; set; }

    // ---- IHttpRequestBodyDetectionFeature
    public bool CanHaveBody => RequestBodyReader is not null;

    // ---- IHttpConnectionFeature
    public string ConnectionId { get => _connection.ConnectionId; set { } }

    public IPAddress? RemoteIpAddress { get; set; }

    public IPAddress? LocalIpAddress { get; set; }

    public int RemotePort { get; set; }

    public int LocalPort { get; set; }

    private void InitConnection()
    {
        RemoteIpAddress = _connection.Remote?.Address;
        RemotePort = _connection.Remote?.Port ?? 0;
        LocalIpAddress = _connection.Local?.Address;
        LocalPort = _connection.Local?.Port ?? 0;
    }

    // ---- IHttpRequestLifetimeFeature
    public CancellationToken RequestAborted { get => _abortedToken; set { } }

    public void Abort()
    {
        if (!_inUse)
        {
            return; // the request is over (an app that kept the feature): there is no stream of its own left to reset
        }
        _transport.Reset(cancel: true); // cancels _abortedToken itself when there is no _aborted
        try
        {
            _aborted?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // ---- IHttpRequestIdentifierFeature
    // Formatted when asked for (most requests never read it).
    public string TraceIdentifier
    {
        get => _traceIdentifier ??= $"{_connection.ConnectionId}:{StreamId:X8}";
        set => _traceIdentifier = value;
    }

    // ---- IHttpResponseFeature
    public int StatusCode
    {
        get => _statusCode;
        set
        {
            ThrowIfStarted();
            _statusCode = value;
        }
    }

    public string? ReasonPhrase { get; set; }

    IHeaderDictionary IHttpResponseFeature.Headers
    {
        get => ResponseHeaders;
        set => ResponseHeaders = value;
    }

    public IHeaderDictionary ResponseHeaders { get; private set; }

    [Obsolete("Use IHttpResponseBodyFeature.Stream")]
    Stream IHttpResponseFeature.Body
    {
        get => Stream;
        set => throw new NotSupportedException("replace IHttpResponseBodyFeature instead");
    }

    public bool HasStarted => _started;

    public void OnStarting(Func<object, Task> callback, object state)
    {
        ThrowIfNotInUse();
        ThrowIfStarted();
        (_onStarting ??= []).Add((callback, state));
    }

    public void OnCompleted(Func<object, Task> callback, object state)
    {
        ThrowIfNotInUse();
        (_onCompleted ??= []).Add((callback, state));
    }

    // ---- IHttpResponseBodyFeature
    public Stream Stream => _responseStream ??= _writer.AsStream(leaveOpen: true);

    public PipeWriter Writer => _writer;

    public void DisableBuffering()
    {
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotInUse();
        await _responseLock.EnterAsync(cancellationToken);
        try
        {
            await StartLockedAsync(endStream: false, cancellationToken);
        }
        finally
        {
            _responseLock.Exit();
        }
    }

    // ---- ISpdyPushFeature (set in Features only when the stream may push; the coordinator is made on first use)

    /// <summary>Makes push available: <paramref name="createPush"/> builds this request's coordinator when it is first needed.</summary>
    internal void EnablePush(Func<SpdyRequestContext, Push.PushCoordinator> createPush)
    {
        _createPush = createPush;
        Features.Set<ISpdyPushFeature>(this);
    }

    internal Push.PushCoordinator PushCoordinator =>
        _push ??= (_createPush ?? throw new InvalidOperationException("push is not enabled on this request"))(this);

    bool ISpdyPushFeature.CanPush => PushCoordinator.CanPush;

    Task<bool> ISpdyPushFeature.PushAsync(string pathOrUrl, IEnumerable<KeyValuePair<string, string>>? headers, int? priority) =>
        PushCoordinator.PushAsync(pathOrUrl, headers, priority);

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        file.Seek(offset, SeekOrigin.Begin);
        var remaining = count ?? (file.Length - offset);
        while (remaining > 0)
        {
            var memory = _writer.GetMemory(16 * 1024);
            var toRead = (int)Math.Min(memory.Length, remaining);
            var read = await file.ReadAsync(memory[..toRead], cancellationToken);
            if (read == 0)
            {
                break;
            }
            _writer.Advance(read);
            remaining -= read;
            await _writer.FlushAsync(cancellationToken);
        }
    }

    public Task CompleteAsync() => CompleteResponseAsync();

    // ---- running

    /// <summary>
    /// Finishes the response after the app returned (or threw): a 500 if nothing was sent yet and the
    /// app failed, RST_STREAM INTERNAL_ERROR if it failed mid-response, else FIN.
    /// </summary>
    public async Task FinishAsync(Exception? failure)
    {
        if (_abortedToken.IsCancellationRequested)
        {
            // Reset by the client (or by us, or the session ended): nothing more goes on the wire.
            _completed = true;
            await RunOnCompletedAsync();
            return;
        }
        if (failure is not null)
        {
            if (!_started && !_abortedToken.IsCancellationRequested)
            {
                _statusCode = 500;
                ReasonPhrase = null;
                ResponseHeaders.Clear();
                ResponseHeaders.ContentLength = 0;
                _writer.Discard();
            }
            else if (!_completed)
            {
                _completed = true;
                _transport.Reset(cancel: false);
                await RunOnCompletedAsync();
                return;
            }
        }
        try
        {
            await CompleteResponseAsync();
        }
        catch (Exception) when (_abortedToken.IsCancellationRequested)
        {
            // The client reset the stream: nothing more to send.
        }
        await RunOnCompletedAsync();
    }

    private async Task RunOnCompletedAsync()
    {
        if (_onCompleted is null)
        {
            return;
        }

        for (var i = _onCompleted.Count - 1; i >= 0; i--)
        {
            try
            {
                await _onCompleted[i].Callback(_onCompleted[i].State);
            }
            catch
            {
                // OnCompleted failures must not take the session down (Kestrel logs and goes on).
            }
        }
    }

    /// <summary>Cancels RequestAborted (the client reset the stream, or the session died).</summary>
    public void SignalAborted()
    {
        // Without a source of our own, RequestAborted is the stream's token, which the session cancels in those cases.
        try
        {
            _aborted?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    internal async ValueTask WriteBodyAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ThrowIfNotInUse();
        await _responseLock.EnterAsync(cancellationToken);
        try
        {
            if (_completed)
            {
                throw new InvalidOperationException("the response is complete");
            }
            if (!_started && data.Length > 0 && !IsHead && (!cancellationToken.CanBeCanceled || cancellationToken == _abortedToken)
                && await StartLockedAsync(endStream: false, cancellationToken, data, bodyIsWhole: false))
            {
                // A first write that is the whole body (Content-Length) went out with the head.
                _writer.ReturnBuffer();
                return;
            }
            await StartLockedAsync(endStream: false, cancellationToken);
            if (data.Length > 0 && !IsHead)
            {
                // The write that reaches Content-Length carries FIN: no separate empty DATA frame (and no second
                // trip through the session's writer) when the app returns. Writing more afterwards fails, as on Kestrel.
                _bodyBytesSent += data.Length;
                var last = _bodyBytesSent == _contentLength;
                await SendDataAsync(data, last, cancellationToken);
                if (last)
                {
                    _completed = true;
                    _writer.ReturnBuffer();
                }
            }
        }
        finally
        {
            _responseLock.Exit();
        }
    }

    /// <summary>Sends DATA, cancelled by the caller's token or the stream's abort (one linked source only when both can fire).</summary>
    private async ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled || cancellationToken == _abortedToken)
        {
            await _transport.SendDataAsync(data, endStream, _abortedToken);
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abortedToken);
        await _transport.SendDataAsync(data, endStream, linked.Token);
    }

    private async Task CompleteResponseAsync()
    {
        ThrowIfNotInUse();
        await _responseLock.EnterAsync(CancellationToken.None);
        try
        {
            if (_completed)
            {
                return;
            }
            // Sent straight from the writer's buffer: the send completes (the bytes are framed) before it is reused.
            var pending = _writer.TakeBuffered();
            if (IsHead)
            {
                pending = ReadOnlyMemory<byte>.Empty;
            }
            if (!_started)
            {
                if (pending.Length == 0)
                {
                    await StartLockedAsync(endStream: true, CancellationToken.None);
                }
                else if (!await StartLockedAsync(endStream: false, _abortedToken, pending, bodyIsWhole: true))
                {
                    await _transport.SendDataAsync(pending, endStream: true, _abortedToken);
                }
            }
            else
            {
                await _transport.SendDataAsync(pending, endStream: true, _abortedToken);
            }
            _completed = true;
            _writer.ReturnBuffer();
        }
        finally
        {
            _responseLock.Exit();
        }
    }

    private bool IsHead => HttpMethods.IsHead(Method);

    private Task StartLockedAsync(bool endStream, CancellationToken cancellationToken) =>
        StartLockedAsync(endStream, cancellationToken, ReadOnlyMemory<byte>.Empty, bodyIsWhole: false);

    /// <summary>
    /// Sends the response head (once). With <paramref name="body"/> that turns out to be the whole body
    /// (<paramref name="bodyIsWhole"/>, or exactly Content-Length once the OnStarting callbacks ran), head, body and FIN
    /// go in one <see cref="StreamTransport.SendResponseAsync"/> and this answers true: the response is complete.
    /// </summary>
    private async Task<bool> StartLockedAsync(bool endStream, CancellationToken cancellationToken, ReadOnlyMemory<byte> body, bool bodyIsWhole)
    {
        if (_started)
        {
            return false;
        }
        for (var i = (_onStarting?.Count ?? 0) - 1; i >= 0; i--)
        {
            await _onStarting![i].Callback(_onStarting[i].State);
        }
        if (BeforeHeadersSent is { } before)
        {
            await before(this);
        }
        _started = true;
        if (ResponseHeaders is HeaderDictionary readOnly)
        {
            readOnly.IsReadOnly = true;
        }
        if (_statusCode is 204 or 304 || (_statusCode >= 100 && _statusCode < 200))
        {
            endStream = true;
        }
        _contentLength = IsHead ? null : ResponseHeaders.ContentLength;
        if (!endStream && !body.IsEmpty && !IsHead && (bodyIsWhole || _contentLength == body.Length))
        {
            await _transport.SendResponseAsync(_statusCode, ToSpdyHeaders(ResponseHeaders, _spdyHeaders), body, cancellationToken);
            _bodyBytesSent = body.Length;
            _completed = true;
            return true;
        }
        await _transport.SendHeadersAsync(_statusCode, ToSpdyHeaders(ResponseHeaders, _spdyHeaders), endStream, cancellationToken);
        if (endStream)
        {
            _completed = true;
        }
        return false;
    }

    /// <summary>
    /// HTTP response headers as SPDY sends them: lowercase names, connection-specific headers dropped
    /// (SPDY/3 §3.2.2: Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding are invalid), and
    /// X-Associated-Content consumed by push.
    /// </summary>
    internal static List<KeyValuePair<string, string>> ToSpdyHeaders(IHeaderDictionary headers) => ToSpdyHeaders(headers, new(headers.Count));

    /// <summary>The same into <paramref name="list"/> (emptied first): the context's own list, reused per response.</summary>
    internal static List<KeyValuePair<string, string>> ToSpdyHeaders(IHeaderDictionary headers, List<KeyValuePair<string, string>> list)
    {
        list.Clear();
        if (headers is HeaderDictionary dictionary)
        {
            // The struct enumerator: no boxed enumerator per response.
            foreach (var (name, values) in dictionary)
            {
                AddSpdyHeader(list, name, values);
            }
        }
        else
        {
            foreach (var (name, values) in headers)
            {
                AddSpdyHeader(list, name, values);
            }
        }
        return list;
    }

    private static void AddSpdyHeader(List<KeyValuePair<string, string>> list, string name, StringValues values)
    {
        if (IsConnectionSpecific(name) || name.Equals(Push.AssociatedContent.HeaderName, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        var lower = LowerName(name);
        foreach (var value in values)
        {
            if (value is not null)
            {
                list.Add(new(lower, value));
            }
        }
    }

    // The usual response header names (ASP.NET Core's HeaderNames spelling) lowercased once, not per response.
    private static readonly System.Collections.Frozen.FrozenDictionary<string, string> LowerNames = new[]
    {
        HeaderNames.ContentLength, HeaderNames.ContentType, HeaderNames.ContentEncoding, HeaderNames.Date, HeaderNames.Server,
        HeaderNames.CacheControl, HeaderNames.LastModified, HeaderNames.ETag, HeaderNames.Location, HeaderNames.Vary,
        HeaderNames.SetCookie, HeaderNames.AcceptRanges, HeaderNames.Expires, HeaderNames.ContentRange, HeaderNames.ContentDisposition,
        HeaderNames.AccessControlAllowOrigin, HeaderNames.StrictTransportSecurity, HeaderNames.Link, HeaderNames.Age, HeaderNames.Pragma,
        HeaderNames.XContentTypeOptions, HeaderNames.XFrameOptions, HeaderNames.ContentLanguage, HeaderNames.ContentSecurityPolicy,
    }.ToFrozenDictionary(n => n, n => n.ToLowerInvariant(), StringComparer.Ordinal);

    /// <summary>The name in lowercase (SPDY requires it): the same string when it already is, a cached one for usual names.</summary>
    internal static string LowerName(string name)
    {
        // A plain loop: ContainsAnyInRange showed a boxed char per call in the allocation profile (~20 B a response).
        foreach (var c in name)
        {
            if (c is >= 'A' and <= 'Z')
            {
                return LowerNames.TryGetValue(name, out var lower) ? lower : name.ToLowerInvariant();
            }
        }
        return name;
    }

    /// <summary>
    /// The request's headers into the feature's dictionary, values of one name (any case) joined in order; a name's
    /// first occurrence replaces what is there. A usual request (a dozen names) is copied without LINQ grouping;
    /// a block with very many names is grouped, so a hostile one stays linear.
    /// </summary>
    private static void CopyRequestHeaders(IReadOnlyList<KeyValuePair<string, string>> headers, IHeaderDictionary target)
    {
        const int LinearScanLimit = 32;
        if (headers.Count > LinearScanLimit)
        {
            foreach (var group in headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
            {
                target[group.Key] = new StringValues(group.Select(h => h.Value).ToArray());
            }

            return;
        }

        for (var i = 0; i < headers.Count; i++)
        {
            var (name, value) = headers[i];
            var repeated = false;
            for (var j = 0; j < i && !repeated; j++)
            {
                repeated = string.Equals(headers[j].Key, name, StringComparison.OrdinalIgnoreCase);
            }

            target[name] = repeated ? StringValues.Concat(target[name], value) : new StringValues(value);
        }
    }

    internal static bool IsConnectionSpecific(string name) =>
        name.Equals("connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("proxy-connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("upgrade", StringComparison.OrdinalIgnoreCase);

    private static string HttpProtocolName(string alpn) => alpn switch
    {
        "spdy/2" => "SPDY/2",
        "spdy/3" => "SPDY/3",
        "spdy/3.1" => "SPDY/3.1",
        _ => alpn.ToUpperInvariant(),
    };

    private void ThrowIfStarted()
    {
        if (_started)
        {
            throw new InvalidOperationException("the response has started: headers and status can no longer change");
        }
    }

    /// <summary>
    /// The response body as a PipeWriter: bytes collect in a buffer and go out as DATA on FlushAsync
    /// (the Stream view flushes on every write); the last bytes go with FIN on completion.
    /// </summary>
    private sealed class ResponseBodyWriter(SpdyRequestContext owner) : PipeWriter
    {
        private byte[] _buffer = [];
        private int _count;
        private bool _returned;

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _count;

        public override void Advance(int bytes)
        {
            owner.ThrowIfNotInUse();
            if (bytes < 0 || _count + bytes > _buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(bytes));
            }
            _count += bytes;
        }

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(_count);
        }

        public override Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(_count);
        }

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            await owner.WriteBodyAsync(_buffer.AsMemory(0, _count), cancellationToken);
            _count = 0;
            return new FlushResult(isCanceled: false, isCompleted: owner._completed);
        }

        public override async ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            // A write flushes, so the caller's bytes go straight out after what is buffered, without a copy into the
            // buffer (nor a buffer rented for it): the session copies a small body it keeps, and awaits the framing of a
            // larger one before this completes, so the caller may reuse its memory either way.
            if (_count > 0)
            {
                await FlushAsync(cancellationToken);
            }
            await owner.WriteBodyAsync(source, cancellationToken);
            return new FlushResult(false, owner._completed);
        }

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
            // Completion goes through IHttpResponseBodyFeature.CompleteAsync / FinishAsync.
        }

        public override ValueTask CompleteAsync(Exception? exception = null) => new(owner.CompleteResponseAsync());

        /// <summary>The unflushed bytes (not copied: valid until the buffer is written again or returned), emptying the buffer.</summary>
        public ReadOnlyMemory<byte> TakeBuffered()
        {
            var pending = _buffer.AsMemory(0, _count);
            _count = 0;
            return pending;
        }

        /// <summary>Gives the buffer back to the pool once the response is complete and every send of it has been
        /// framed (only then: the session copies DATA out of it until the send completes). After an abort it is
        /// left to the GC instead, as a send may have been given up half-way.</summary>
        public void ReturnBuffer()
        {
            if (_buffer.Length > 0 && !_returned)
            {
                _returned = true;
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
                _count = 0;
            }
        }

        public void Discard() => _count = 0;

        /// <summary>Empty for the next request of a reused context. A buffer still held here (the response was aborted,
        /// so it was not given back) is dropped, not reused: a send of it may have been given up half-way.</summary>
        public void Reset()
        {
            _buffer = [];
            _count = 0;
            _returned = false;
        }

        private void Ensure(int sizeHint)
        {
            owner.ThrowIfNotInUse();
            var needed = Math.Max(sizeHint, 1);
            if (_buffer.Length - _count >= needed)
            {
                return;
            }
            if (_returned)
            {
                throw new InvalidOperationException("the response is complete");
            }

            // Rented on first use (a response without a body never needs one).
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, 4096), _count + needed));
            _buffer.AsSpan(0, _count).CopyTo(bigger);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = bigger;
        }
    }

    /// <summary>
    /// The request body with a read timeout: a client that stops sending in the middle of a body (or of a
    /// DATA frame) would otherwise hold the request forever. On timeout the stream is reset with CANCEL.
    /// </summary>
    private sealed class RequestBodyStream(Stream inner, TimeSpan timeout, SpdyRequestContext owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, owner.RequestAborted);
            bounded.CancelAfter(timeout);
            try
            {
                return await inner.ReadAsync(buffer, bounded.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !owner.RequestAborted.IsCancellationRequested)
            {
                owner.Abort();
                throw new IOException($"no request body data for {timeout}; stream reset");
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
