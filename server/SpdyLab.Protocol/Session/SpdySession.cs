using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Protocol;

/// <summary>
/// One SPDY session over an <see cref="IDuplexPipe"/>, for either role. <see cref="RunAsync"/> is the read loop:
/// it parses frames and updates the session state. A separate write loop owns the transport's PipeWriter and
/// the header compressor, and sends control frames first, then DATA by priority (strict across levels,
/// round-robin within a level, in chunks of <see cref="SpdySessionOptions.DataChunkSize"/>) within the flow
/// control windows. Session state is guarded by one lock; nothing awaits inside it, and application callbacks
/// (cancellation, pipe continuations) run outside it.
/// </summary>
public sealed partial class SpdySession : IAsyncDisposable
{
    private const long MaxWindow = int.MaxValue; // 2^31 - 1 (spdy3 §2.6.8, spdy3.1 §2.6.8)
    private const int RecentlyResetCapacity = 1024;
    private const int CredentialVectorSize = 8; // spdy3 §2.6.9: "The initial size of this vector must be 8."

    private readonly object _lock = new();
    private readonly IDuplexPipe _transport;
    private readonly SpdySessionOptions _options;
    private readonly Func<SpdyStream, Task>? _onPeerStream;
    private ExecutionContext? _peerStreamContext;
    private readonly SpdyFrameReader _reader;
    private readonly SpdyFrameWriter _writer;
    private readonly Dictionary<int, SpdyStream> _streams = new();
    private readonly HashSet<int> _recentlyReset = new();
    private readonly Queue<int> _recentlyResetOrder = new();
    private readonly Dictionary<uint, PendingPing> _pings = new();
    private readonly List<TaskCompletionSource> _openWaiters = new();
    private readonly Dictionary<SettingsId, uint> _peerSettings = new();
    private readonly List<SettingsEntry> _settingsToPersist = new();
    private readonly byte[]?[] _credentials = new byte[]?[CredentialVectorSize + 1];
    private readonly List<(SpdyStream Stream, Exception Error)> _pendingAborts = new();
    private int _abortsPending; // 1 once an abort is queued, back to 0 when drained (under _lock; read without it)
    private readonly long _streamInputPause;

    private long _nextStreamId;
    private int _lastPeerStreamId;
    private int _lastAcceptedPeerStreamId;
    private int _activeLocal;
    private int _activePeer;
    private int _peerMaxConcurrent = int.MaxValue;
    private long _peerInitialWindow;
    private long _sessionSendWindow;
    private long _sessionRecvWindow;
    private long _sessionRecvUnacked;
    private bool _sessionWindowEnforced; // 3.1: false while SessionWindowFromPeerUpdate waits for the peer's first session WINDOW_UPDATE
    private uint _nextPingId;
    private bool _goAwaySent;
    private bool _goAwayReceived;
    private bool _closing;
    private volatile bool _stopReading;
    private volatile bool _idleFired;
    private bool _peerClosedConnection;
    private Exception? _closeReason;
    private Task? _runTask;
    private Task? _writeTask;
    private Timer? _idleTimer;
    private int _disposed;

    public SpdySession(IDuplexPipe transport, SpdySessionOptions options, Func<SpdyStream, Task>? onPeerStream = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _transport = transport;
        _options = options;
        _onPeerStream = onPeerStream;
        Profile = SpdyProtocolProfile.For(options.Version);
        // Reused DATA / WINDOW_UPDATE objects: the read loop handles each frame before it reads the next.
        _reader = new SpdyFrameReader(Profile, options.MaxFrameSize, options.MaxHeaderBlockSize) { ReuseFrames = true };
        _writer = new SpdyFrameWriter(Profile, options.HeaderCompression);
        _ready = new LinkedList<SpdyStream>[8];
        for (var i = 0; i < _ready.Length; i++)
        {
            _ready[i] = new LinkedList<SpdyStream>();
        }

        // spdy3 §2.3.2: client streams are odd, server streams even; §2.6.5: the same for PING ids.
        _nextStreamId = options.Role == SpdyRole.Client ? 1 : 2;
        _nextPingId = options.Role == SpdyRole.Client ? 1u : 2u;
        _peerInitialWindow = Profile.DefaultInitialWindowSize;
        _sessionSendWindow = Profile.DefaultInitialWindowSize;
        _sessionRecvWindow = options.SessionWindowSize;
        _sessionWindowEnforced = Profile.HasSessionFlowControl && !options.SessionWindowFromPeerUpdate;
        _streamInputPause = Profile.HasFlowControl
            ? (long)options.InitialWindowSize + options.MaxFrameSize + 1 // never reached by a peer that obeys flow control
            : options.MaxBufferedDataPerStream;
        Counters = new SpdySessionCounters
        {
            headerBytesSentRaw = () => _writer.HeaderBytesRaw,
            headerBytesSentCompressed = () => _writer.HeaderBytesCompressed,
            headerBytesReceivedRaw = () => _reader.HeaderBytesRaw,
            headerBytesReceivedCompressed = () => _reader.HeaderBytesCompressed,
        };
    }

    public SpdyVersion Version => Profile.Version;

    public SpdyProtocolProfile Profile { get; }

    /// <summary>
    /// SPDY/3.1: whether the session window is enforced, i.e. always, or (with
    /// <see cref="SpdySessionOptions.SessionWindowFromPeerUpdate"/>) once the peer sent a WINDOW_UPDATE on stream 0;
    /// false for SPDY/2 and /3, and for a 3.1 session whose peer has shown no 3.1 behaviour (a SPDY/3 peer).
    /// </summary>
    public bool SessionWindowEnforced
    {
        get
        {
            lock (_lock)
            {
                return _sessionWindowEnforced;
            }
        }
    }

    public SpdyRole Role => _options.Role;

    public SpdySessionOptions Options => _options;

    public SpdySessionCounters Counters { get; }

    /// <summary>Either side sent GOAWAY: no new streams on this session.</summary>
    public bool IsGoingAway =>
        // Without the session lock: asked for every request (client send, server push check), and the flags only
        // ever go from false to true; a caller that reads a stale false gets the same answer a moment earlier.
        Volatile.Read(ref _goAwaySent) || Volatile.Read(ref _goAwayReceived) || Volatile.Read(ref _closing);

    /// <summary>Why the session ended (null while it runs or after a clean close).</summary>
    public Exception? CloseReason
    {
        get
        {
            lock (_lock)
            {
                return _closeReason;
            }
        }
    }

    /// <summary>The last value of each SETTINGS id the peer sent.</summary>
    public IReadOnlyDictionary<SettingsId, uint> PeerSettings
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<SettingsId, uint>(_peerSettings);
            }
        }
    }

    /// <summary>Client: entries the server asked us to persist (FLAG_SETTINGS_PERSIST_VALUE); return them on the
    /// next session to the same origin with <see cref="SettingsEntryFlags.Persisted"/> in
    /// <see cref="SpdySessionOptions.ExtraSettings"/> (spdy3 §2.6.4).</summary>
    public IReadOnlyList<SettingsEntry> SettingsToPersist
    {
        get
        {
            lock (_lock)
            {
                return _settingsToPersist.ToArray();
            }
        }
    }

    /// <summary>Number of open streams (both directions).</summary>
    public int ActiveStreamCount
    {
        get
        {
            lock (_lock)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Sends our SETTINGS, then reads frames until the session ends (peer closed, GOAWAY completed,
    /// session error, or <paramref name="cancellationToken"/>). Protocol errors end the session without
    /// throwing; see <see cref="CloseReason"/>.</summary>
    public Task RunAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_runTask is not null)
            {
                throw new InvalidOperationException("RunAsync was already called");
            }

            _runTask = RunCoreAsync(cancellationToken);
            return _runTask;
        }
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        // The context handlers of peer streams run in: the session's, as when they were started from the read loop.
        _peerStreamContext = ExecutionContext.Capture();
        SendInitialFrames();
        _writeTask = Task.Run(WriteLoopAsync, CancellationToken.None);
        if (_options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            _idleTimer = new Timer(_ =>
            {
                _idleFired = true;
                _transport.Input.CancelPendingRead();
            });
        }

        var input = _transport.Input;
        using var cancelRegistration = cancellationToken.Register(() =>
        {
            _stopReading = true;
            input.CancelPendingRead();
        });
        try
        {
            while (!_stopReading)
            {
                _idleTimer?.Change(_options.IdleTimeout, Timeout.InfiniteTimeSpan);
                var result = await input.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (!_stopReading)
                    {
                        var before = buffer.Length;
                        SpdyFrame? frame;
                        try
                        {
                            if (!_reader.TryReadFrame(ref buffer, out frame))
                            {
                                break;
                            }
                        }
                        catch (SpdyProtocolException e) when (!e.IsSessionError)
                        {
                            Interlocked.Add(ref Counters.bytesReceived, before - buffer.Length);
                            Trace($"<- (stream error) {e.Message}");
                            OnStreamError(e);
                            continue;
                        }

                        Interlocked.Add(ref Counters.bytesReceived, before - buffer.Length);
                        Interlocked.Increment(ref Counters.framesReceived);
                        if (_options.Trace is not null)
                        {
                            Trace($"<- {frame}");
                        }
                        await HandleFrameAsync(frame).ConfigureAwait(false);
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCanceled && _idleFired && !_stopReading)
                {
                    _idleFired = false;
                    OnIdle();
                    continue;
                }

                if (result.IsCompleted)
                {
                    lock (_lock)
                    {
                        if (!_closing)
                        {
                            _closeReason ??= new SpdySessionClosedException("the peer closed the connection");
                            _peerClosedConnection = true;
                        }
                    }

                    break;
                }
            }
        }
        catch (SpdyProtocolException e)
        {
            Trace($"!! {e.Message}");
            FailSession(e);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            lock (_lock)
            {
                _closeReason ??= new SpdySessionClosedException($"connection failed: {e.Message}", e);
            }
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
        }
    }

    private void SendInitialFrames()
    {
        // spdy3 §2.6.4 SETTINGS: our concurrency limit and (v3+) the initial window for streams we receive on.
        var entries = new List<SettingsEntry> { new(SettingsId.MaxConcurrentStreams, SettingsEntryFlags.None, (uint)_options.MaxConcurrentStreams) };
        if (Profile.HasFlowControl)
        {
            entries.Add(new SettingsEntry(SettingsId.InitialWindowSize, SettingsEntryFlags.None, (uint)_options.InitialWindowSize));
        }

        foreach (var extra in _options.ExtraSettings)
        {
            if (!entries.Exists(e => e.Id == extra.Id))
            {
                entries.Add(extra);
            }
        }

        entries.Sort((a, b) => a.Id.CompareTo(b.Id)); // "sent in order of lowest id to highest id"
        lock (_lock)
        {
            EnqueueLocked(new OutFrame { Kind = OutKind.Settings, Settings = entries.ToArray() });
            if (Profile.HasSessionFlowControl && _options.SessionWindowSize > Profile.DefaultInitialWindowSize)
            {
                // spdy3.1 §2.6.8: the session window starts at 64 KB and only WINDOW_UPDATE on stream 0 raises it.
                EnqueueLocked(new OutFrame { Kind = OutKind.WindowUpdate, StreamId = 0, Delta = _options.SessionWindowSize - Profile.DefaultInitialWindowSize });
            }
        }
    }

    // ------------------------------------------------------------------ frames received

    private async ValueTask HandleFrameAsync(SpdyFrame frame)
    {
        switch (frame)
        {
            case DataFrame data:
                await OnDataAsync(data).ConfigureAwait(false);
                break;
            case SynStreamFrame syn:
                if (!OnSynStream(syn))
                {
                    // A new stream queued no frame: waking the writer for it cost a thread-pool hop and a lock round
                    // per request for nothing.
                    DrainAborts();
                    return;
                }

                break;
            case SynReplyFrame reply:
                OnSynReply(reply);
                break;
            case HeadersFrame headers:
                OnHeaders(headers);
                break;
            case RstStreamFrame rst:
                OnRstStream(rst);
                break;
            case SettingsFrame settings:
                OnSettings(settings);
                break;
            case PingFrame ping:
                OnPing(ping);
                break;
            case GoAwayFrame goAway:
                OnGoAway(goAway);
                break;
            case WindowUpdateFrame update:
                OnWindowUpdate(update);
                break;
            case CredentialFrame credential:
                OnCredential(credential);
                break;
            case NoopFrame:
            case UnknownControlFrame:
                break; // spdy2 › NOOP: "receivers should ignore it"; unknown types are ignored (spdy3 §2.2.1)
        }

        DrainAborts();
        SignalWriter();
    }

    private bool IsPeerStreamId(int id) => (id % 2 == 1) == (Role == SpdyRole.Server);

    /// <summary>Whether a stream id not in the table was opened once (and is closed now) rather than never opened:
    /// ids only grow (spdy3 §2.3.2), so anything up to the last id each side used has existed.</summary>
    private bool StreamExistedLocked(int id) => IsPeerStreamId(id) ? id <= _lastPeerStreamId : id < _nextStreamId;

    // spdy3 §2.3.2 stream creation, §2.6.1 SYN_STREAM, §3.3 server push.
    /// <returns>False when the stream was accepted and handed to the handler: nothing was queued for the writer (the
    /// handler's reply wakes it), so the read loop need not wake it for this frame.</returns>
    private bool OnSynStream(SynStreamFrame frame)
    {
        SpdyStream stream;
        lock (_lock)
        {
            var id = frame.Id;
            if (id == 0)
            {
                throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, "SYN_STREAM with stream id 0");
            }

            if (!IsPeerStreamId(id))
            {
                throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"SYN_STREAM {id} has this side's stream-id parity");
            }

            if (_streams.TryGetValue(id, out var existing))
            {
                // "If a recipient receives a second SYN_STREAM for the same stream, it MUST issue a stream error
                // with the status code PROTOCOL_ERROR."
                ResetLocked(id, existing, RstStatus.ProtocolError, "second SYN_STREAM for an open stream");
                return true;
            }

            if (id <= _lastPeerStreamId)
            {
                // "If an endpoint receives a SYN_STREAM with a stream id which is less than any previously
                // received SYN_STREAM, it MUST issue a session error with the status PROTOCOL_ERROR."
                throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"SYN_STREAM {id} after stream {_lastPeerStreamId}: ids must increase");
            }

            _lastPeerStreamId = id;
            if (_goAwaySent || _closing)
            {
                return true; // spdy3 §2.6.6: "After sending a GOAWAY message, the sender must ignore all SYN_STREAM frames for new streams."
            }

            if (Role == SpdyRole.Client)
            {
                // A server-initiated stream is a push (spdy3 §3.3.1).
                if (frame.AssociatedStreamId == 0)
                {
                    ResetLocked(id, null, RstStatus.ProtocolError, "server stream without Associated-To-Stream-ID");
                    return true;
                }

                if (!_streams.TryGetValue(frame.AssociatedStreamId, out var associated) || !associated.IsLocal)
                {
                    ResetLocked(id, null, RstStatus.InvalidStream, $"push associated with stream {frame.AssociatedStreamId}, which is not an open request");
                    return true;
                }

                if (!frame.IsUnidirectional)
                {
                    ResetLocked(id, null, RstStatus.ProtocolError, "pushed stream without FLAG_UNIDIRECTIONAL");
                    return true;
                }

                if (!Profile.HasPushUrl(frame.Headers))
                {
                    ResetLocked(id, null, RstStatus.ProtocolError, $"pushed stream without {string.Join(", ", Profile.PushUrlHeaders)}");
                    return true;
                }

                if (_onPeerStream is null)
                {
                    ResetLocked(id, null, RstStatus.Cancel, "pushes are not accepted");
                    return true;
                }
            }
            else
            {
                if (frame.AssociatedStreamId != 0)
                {
                    ResetLocked(id, null, RstStatus.ProtocolError, "a client cannot push (Associated-To-Stream-ID set)");
                    return true;
                }

                if (frame.IsUnidirectional)
                {
                    // The server answers a request with SYN_REPLY (spdy3 §3.2.2), which a stream created unidirectional
                    // forbids (§2.3.2.1: the recipient is half-closed): refuse it rather than hand the application a
                    // request it cannot answer. Found by the fuzzer.
                    ResetLocked(id, null, RstStatus.ProtocolError, "a client stream with FLAG_UNIDIRECTIONAL cannot be answered");
                    return true;
                }

                if (_onPeerStream is null)
                {
                    ResetLocked(id, null, RstStatus.RefusedStream, "no request handler");
                    return true;
                }
            }

            if (_activePeer >= _options.MaxConcurrentStreams)
            {
                Interlocked.Increment(ref Counters.streamsRefused);
                ResetLocked(id, null, RstStatus.RefusedStream, $"over MAX_CONCURRENT_STREAMS {_options.MaxConcurrentStreams}");
                return true;
            }

            if (Profile.HasCredential && frame.Slot != 0 && (frame.Slot > CredentialVectorSize || _credentials[frame.Slot] is null))
            {
                // spdy3 §2.6.9: a request whose credential slot is missing gets INVALID_CREDENTIALS.
                ResetLocked(id, null, RstStatus.InvalidCredentials, $"CREDENTIAL slot {frame.Slot} is empty");
                return true;
            }

            stream = new SpdyStream(this, id, frame.Priority, isLocal: false, isPushed: Role == SpdyRole.Client, frame.AssociatedStreamId, frame.Headers, _streamInputPause,
                inputClosed: frame.IsFin)
            {
                SendWindow = _peerInitialWindow,
                RecvWindow = _options.InitialWindowSize,
                RemoteClosed = frame.IsFin,
            };
            if (frame.IsUnidirectional)
            {
                // spdy3 §2.3.2.1: the recipient of a unidirectional stream is already half-closed.
                stream.LocalClosed = true;
                stream.FinSent = true;
            }

            if (stream.IsPushed)
            {
                stream.ReplyReceived = true; // a push has no SYN_REPLY: its SYN_STREAM carries the response headers
                Interlocked.Increment(ref Counters.pushesReceived);
            }

            _streams[id] = stream;
            _activePeer++;
            _lastAcceptedPeerStreamId = id;
            Interlocked.Increment(ref Counters.streamsOpenedByPeer);
        }

        if (stream.IsPushed)
        {
            if (frame.Headers.Contains(Profile.StatusHeader) || frame.IsFin)
            {
                stream.SetResponse(frame.Headers);
            }
            else
            {
                // spdy3 §3.3.1: the response headers of a push may follow in HEADERS frames.
                stream.PendingPushHeaders = frame.Headers.Clone();
            }
        }

        if (frame.IsFin)
        {
            stream.CompleteInput();
        }

        if (stream.FinSent)
        {
            // Only a unidirectional stream (FinSent set above) can close before its handler has run: the usual request
            // needs no second round of the session lock here.
            lock (_lock)
            {
                MaybeCloseLocked(stream);
            }
        }

        // Off the reader loop, as a thread-pool work item of its own (the stream itself: no state machine, delegate or
        // closure per stream), in the session's execution context.
        ThreadPool.UnsafeQueueUserWorkItem(stream, preferLocal: false);
        return false;
    }

    /// <summary>Runs the application's handler for a stream the peer opened (on the thread pool, once per stream).</summary>
    internal void RunPeerStreamHandler(SpdyStream stream)
    {
        if (_peerStreamContext is { } context)
        {
            ExecutionContext.Run(context, StartPeerStreamHandlerCallback, stream);
        }
        else
        {
            StartPeerStreamHandler(stream);
        }
    }

    private static readonly ContextCallback StartPeerStreamHandlerCallback = static state =>
    {
        var stream = (SpdyStream)state!;
        stream.Session.StartPeerStreamHandler(stream);
    };

    private void StartPeerStreamHandler(SpdyStream stream)
    {
        Task handler;
        try
        {
            handler = _onPeerStream!(stream);
        }
        catch (Exception e)
        {
            OnPeerStreamHandlerFailed(stream, e);
            return;
        }

        if (handler.IsCompletedSuccessfully)
        {
            ResetIfUnanswered(stream);
            return;
        }

        _ = AwaitPeerStreamHandlerAsync(stream, handler);
    }

    private async Task AwaitPeerStreamHandlerAsync(SpdyStream stream, Task handler)
    {
        try
        {
            await handler.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            OnPeerStreamHandlerFailed(stream, e);
            return;
        }

        ResetIfUnanswered(stream);
    }

    private void OnPeerStreamHandlerFailed(SpdyStream stream, Exception e)
    {
        Trace($"!! handler for stream {stream.Id} failed: {e.GetType().Name}: {e.Message}");
        stream.Reset(RstStatus.InternalError);
    }

    /// <summary>A server's handler that returned without answering gets its stream reset (INTERNAL_ERROR).</summary>
    private void ResetIfUnanswered(SpdyStream stream)
    {
        if (Role != SpdyRole.Server || stream.ReplyQueued || stream.ReplySent)
        {
            // Answered (the handler's own writes set these flags, so this thread sees them): no lock round needed.
            return;
        }

        bool unanswered;
        lock (_lock)
        {
            DrainRepliesLocked(); // a reply queued without the lock counts as an answer
            unanswered = !stream.ReplySent && stream.State == StreamState.Open;
        }

        if (unanswered)
        {
            Trace($"!! handler for stream {stream.Id} returned without replying");
            stream.Reset(RstStatus.InternalError);
        }
    }

    // spdy3 §2.6.2 SYN_REPLY.
    private void OnSynReply(SynReplyFrame frame)
    {
        SpdyStream? stream;
        lock (_lock)
        {
            if (!_streams.TryGetValue(frame.Id, out stream))
            {
                StreamFrameForInactiveStreamLocked(frame.Id, "SYN_REPLY");
                return;
            }

            if (!stream.IsLocal || stream.IsPushed)
            {
                ResetLocked(frame.Id, stream, RstStatus.ProtocolError, "SYN_REPLY on a stream this side did not open");
                return;
            }

            if (stream.ReplyReceived)
            {
                // "If an endpoint receives multiple SYN_REPLY frames for the same active stream ID, it MUST issue
                // a stream error with the error code STREAM_IN_USE."
                ResetLocked(frame.Id, stream, RstStatus.StreamInUse, "second SYN_REPLY");
                return;
            }

            stream.ReplyReceived = true;
            stream.RemoteClosed |= frame.IsFin;
        }

        stream.SetResponse(frame.Headers);
        if (frame.IsFin)
        {
            stream.CompleteInput();
            lock (_lock)
            {
                MaybeCloseLocked(stream);
            }
        }
    }

    // spdy3 §2.6.7 HEADERS.
    private void OnHeaders(HeadersFrame frame)
    {
        SpdyStream? stream;
        HeaderList? pushResponse = null;
        lock (_lock)
        {
            if (!_streams.TryGetValue(frame.Id, out stream))
            {
                StreamFrameForInactiveStreamLocked(frame.Id, "HEADERS");
                return;
            }

            if (stream.RemoteClosed)
            {
                ResetLocked(frame.Id, stream, RstStatus.StreamAlreadyClosed, "HEADERS after the peer's FIN");
                return;
            }

            if (stream.IsLocal && !stream.ReplyReceived)
            {
                ResetLocked(frame.Id, stream, RstStatus.ProtocolError, "HEADERS before SYN_REPLY");
                return;
            }

            stream.Trailers ??= new HeaderList();
            foreach (var header in frame.Headers)
            {
                stream.Trailers.Add(header.Key, header.Value);
            }

            if (stream.PendingPushHeaders is { } pending)
            {
                foreach (var header in frame.Headers)
                {
                    pending.Add(header.Key, header.Value);
                }

                if (pending.Contains(Profile.StatusHeader) || frame.IsFin)
                {
                    stream.PendingPushHeaders = null;
                    pushResponse = pending;
                }
            }

            stream.RemoteClosed |= frame.IsFin;
        }

        if (pushResponse is not null)
        {
            stream.SetResponse(pushResponse);
        }

        if (frame.IsFin)
        {
            stream.CompleteInput();
            lock (_lock)
            {
                MaybeCloseLocked(stream);
            }
        }
    }

    // A SYN_REPLY or HEADERS for a stream that is not open: INVALID_STREAM (spdy3 §2.6.3), unless we reset it
    // ourselves a moment ago (the peer's frames were in flight: spdy3 §2.4.2 allows coalescing).
    private void StreamFrameForInactiveStreamLocked(int id, string what)
    {
        if (id == 0)
        {
            throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"{what} on stream 0");
        }

        if (_recentlyReset.Contains(id) || (_goAwaySent && IsPeerStreamId(id) && id > _lastAcceptedPeerStreamId))
        {
            return;
        }

        ResetLocked(id, null, RstStatus.InvalidStream, $"{what} for a stream that is not open");
    }

    // spdy3 §2.2.2 DATA, §2.3.6, §2.3.7, §2.6.8 flow control; spdy3.1 §2.6.8 session window.
    private async ValueTask OnDataAsync(DataFrame frame)
    {
        var length = (int)frame.Data.Length;
        SpdyStream? stream;
        HeaderList? pushHeadersAtData = null;
        lock (_lock)
        {
            if (frame.Id == 0)
            {
                throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, "DATA on stream 0");
            }

            if (Profile.HasSessionFlowControl)
            {
                // "A receiver that receives a flow controlled frame MUST always account for its contribution
                // against the connection flow control window" (spdy3.1 §2.6.8); the errata: GOAWAY PROTOCOL_ERROR.
                _sessionRecvWindow -= length;
                if (_sessionRecvWindow < 0 && _sessionWindowEnforced)
                {
                    throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"DATA overruns the session flow-control window by {-_sessionRecvWindow} bytes");
                }
            }

            if (!_streams.TryGetValue(frame.Id, out stream))
            {
                CreditDiscardedLocked(null, length);
                if (_recentlyReset.Contains(frame.Id) || (_goAwaySent && IsPeerStreamId(frame.Id) && frame.Id > _lastAcceptedPeerStreamId))
                {
                    return;
                }

                var existed = StreamExistedLocked(frame.Id);
                // §2.3.7: "If an endpoint receives a data frame after the stream is closed, it must send a
                // RST_STREAM to the sender with the status PROTOCOL_ERROR"; §2.2.2: a stream that is not open
                // (never was) gets INVALID_STREAM.
                ResetLocked(frame.Id, null, existed ? RstStatus.ProtocolError : RstStatus.InvalidStream, "DATA for a stream that is not open");
                return;
            }

            if (stream.RemoteClosed)
            {
                CreditDiscardedLocked(null, length);
                // §2.3.6: DATA after the sender's FIN: STREAM_ALREADY_CLOSED.
                ResetLocked(frame.Id, stream, RstStatus.StreamAlreadyClosed, "DATA after FIN");
                return;
            }

            if (stream.IsLocal && !stream.ReplyReceived)
            {
                CreditDiscardedLocked(null, length);
                // §2.2.2: "If the endpoint which created the stream receives a data frame before receiving a
                // SYN_REPLY on that stream, it is a protocol error".
                ResetLocked(frame.Id, stream, RstStatus.ProtocolError, "DATA before SYN_REPLY");
                return;
            }

            if (Profile.HasFlowControl)
            {
                stream.RecvWindow -= length;
                if (stream.RecvWindow < 0)
                {
                    CreditDiscardedLocked(null, length);
                    // §2.6.8: the peer sent more than the window allows.
                    ResetLocked(frame.Id, stream, RstStatus.FlowControlError, $"DATA overruns the stream window by {-stream.RecvWindow} bytes");
                    return;
                }
            }

            if (stream.InputAbandoned)
            {
                CreditDiscardedLocked(stream, length);
                stream = frame.IsFin ? stream : null;
            }
            else
            {
                stream.Buffered += length;
            }

            if (frame.IsFin && stream is not null)
            {
                stream.RemoteClosed = true;
            }

            if (stream?.PendingPushHeaders is { } pendingPush)
            {
                stream.PendingPushHeaders = null;
                pushHeadersAtData = pendingPush;
            }
        }

        if (pushHeadersAtData is not null)
        {
            stream!.SetResponse(pushHeadersAtData);
        }

        Interlocked.Add(ref Counters.dataBytesReceived, length);
        if (stream is null)
        {
            return;
        }

        if (length > 0 && !stream.InputAbandoned)
        {
            var flush = stream.WriteInput(frame.Data);
            if (!flush.IsCompleted)
            {
                await flush.ConfigureAwait(false); // SPDY/2 back-pressure: the application is not reading
            }
        }

        if (frame.IsFin)
        {
            stream.CompleteInput();
            lock (_lock)
            {
                MaybeCloseLocked(stream);
            }
        }
    }

    // spdy3 §2.6.3: no RST_STREAM in answer to RST_STREAM (§2.4.2).
    private void OnRstStream(RstStreamFrame frame)
    {
        lock (_lock)
        {
            Interlocked.Increment(ref Counters.resetsReceived);
            if (!_streams.TryGetValue(frame.Id, out var stream))
            {
                return;
            }

            CloseLocked(stream, new SpdyStreamResetException(frame.Id, frame.Status, true));
            if (Role == SpdyRole.Server)
            {
                // spdy3 §3.3.2: cancelling a request cancels the pushes associated with it.
                foreach (var pushed in _streams.Values.Where(s => s.IsPushed && s.AssociatedStreamId == frame.Id).ToList())
                {
                    ResetLocked(pushed.Id, pushed, RstStatus.Cancel, $"associated stream {frame.Id} was reset", peerTriggered: false);
                }
            }
        }
    }

    // spdy3 §2.6.4 SETTINGS.
    private void OnSettings(SettingsFrame frame)
    {
        lock (_lock)
        {
            if (Role == SpdyRole.Client && frame.ClearSettings)
            {
                _settingsToPersist.Clear();
            }

            foreach (var entry in frame.Entries)
            {
                if (entry.Id is < SettingsId.UploadBandwidth or > SettingsId.ClientCertificateVectorSize)
                {
                    continue; // unknown ids are ignored (and not stored: a peer could send millions)
                }

                _peerSettings[entry.Id] = entry.Value;
                // Persistence is implemented on the client only; "servers MUST ignore persistence related flags
                // sent by a client".
                if (Role == SpdyRole.Client && (entry.Flags & SettingsEntryFlags.PersistValue) != 0)
                {
                    _settingsToPersist.RemoveAll(e => e.Id == entry.Id);
                    _settingsToPersist.Add(entry with { Flags = SettingsEntryFlags.Persisted });
                }

                switch (entry.Id)
                {
                    case SettingsId.MaxConcurrentStreams:
                        _peerMaxConcurrent = (int)Math.Min(entry.Value, int.MaxValue);
                        WakeOpenWaitersLocked();
                        break;
                    case SettingsId.InitialWindowSize when Profile.HasFlowControl:
                        if (entry.Value > MaxWindow)
                        {
                            throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"SETTINGS_INITIAL_WINDOW_SIZE {entry.Value} exceeds 2^31-1");
                        }

                        // spdy3.1 §2.6.8: "a receiver MUST adjust the size of all stream flow control windows that
                        // it maintains by the difference between the new value and the old value"; the session
                        // window is not affected.
                        var delta = entry.Value - _peerInitialWindow;
                        _peerInitialWindow = entry.Value;
                        foreach (var stream in _streams.Values.ToList())
                        {
                            stream.SendWindow += delta;
                            if (stream.SendWindow > MaxWindow)
                            {
                                // spdy3 §2.6.8: the window "must never exceed 2^31"; a WINDOW_UPDATE that does so is a
                                // stream FLOW_CONTROL_ERROR, and a SETTINGS increase on top of earlier updates is the same overflow.
                                ResetLocked(stream.Id, stream, RstStatus.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE takes the stream window past 2^31-1");
                                continue;
                            }

                            if (stream.SendWindow > 0 && stream.PendingWrites.Count > 0)
                            {
                                ReadyLocked(stream);
                            }
                        }

                        break;
                }
            }
        }
    }

    // spdy3 §2.6.5 PING.
    private void OnPing(PingFrame frame)
    {
        var peerInitiated = (frame.Id % 2 == 1) == (Role == SpdyRole.Server);
        lock (_lock)
        {
            if (peerInitiated)
            {
                // "Recipients of a PING frame should send an identical frame to the sender as soon as possible."
                EnqueueLocked(new OutFrame { Kind = OutKind.Ping, PingId = frame.Id, PeerTriggered = true });
                Interlocked.Increment(ref Counters.pingsAnswered);
                return;
            }

            // The echo of our own PING; an id we did not send is ignored ("it must ignore the PING").
            if (_pings.Remove(frame.Id, out var pending))
            {
                pending.Completion.TrySetResult(Stopwatch.GetElapsedTime(pending.Started));
            }
        }
    }

    // spdy3 §2.6.6 GOAWAY: streams above last-good were not processed; no new streams; the rest finish.
    private void OnGoAway(GoAwayFrame frame)
    {
        lock (_lock)
        {
            _goAwayReceived = true;
            foreach (var stream in _streams.Values.Where(s => s.IsLocal && s.Id > frame.LastGoodStreamId).ToList())
            {
                CloseLocked(stream, new SpdySessionClosedException($"GOAWAY ({frame.Status}): stream {stream.Id} was not processed") { NotProcessed = true });
            }

            WakeOpenWaitersLocked();
            CheckDrainedLocked();
        }
    }

    // spdy3 §2.6.8 WINDOW_UPDATE; spdy3.1 §2.6.8 (stream 0 = session window).
    private void OnWindowUpdate(WindowUpdateFrame frame)
    {
        lock (_lock)
        {
            if (frame.Id == 0)
            {
                if (!Profile.HasSessionFlowControl)
                {
                    return; // SPDY/3 has no session window: nothing to update
                }

                if (frame.Delta == 0)
                {
                    throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, "session WINDOW_UPDATE with delta 0");
                }

                if (!_sessionWindowEnforced)
                {
                    // SessionWindowFromPeerUpdate: only a 3.1 peer credits the session window. From here on its window
                    // binds us, counting every byte sent so far (the peer has counted them too), so it may start
                    // below zero until this update is added.
                    _sessionWindowEnforced = true;
                    Trace($"-- session WINDOW_UPDATE from the peer: SPDY/3.1 session window enforced from now ({_sessionSendWindow} + {frame.Delta})");
                }

                _sessionSendWindow += frame.Delta;
                if (_sessionSendWindow > MaxWindow)
                {
                    // spdy3.1 §2.6.8 asks for "GOAWAY with FLOW_CONTROL_ERROR", which GOAWAY lacks: PROTOCOL_ERROR (errata).
                    throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, "session flow-control window exceeds 2^31-1");
                }

                return;
            }

            if (!_streams.TryGetValue(frame.Id, out var stream))
            {
                // A closed stream: ignored (our FIN or RST_STREAM and the peer's update cross on the wire all the
                // time). A stream that was never opened is "not active": INVALID_STREAM (spdy3 §2.6.3), as for DATA.
                if (!StreamExistedLocked(frame.Id) && !(_goAwaySent && IsPeerStreamId(frame.Id)))
                {
                    ResetLocked(frame.Id, null, RstStatus.InvalidStream, "WINDOW_UPDATE for a stream that was never opened");
                }

                return;
            }

            // "A sender should ignore all the WINDOW_UPDATE frames associated with the stream after it send the last
            // frame for the stream" (half-closed from our side), except the one case the same section says it
            // "must" answer: a window past 2^31-1 is FLOW_CONTROL_ERROR whatever the stream's state.
            var finished = stream.FinSent && stream.PendingWrites.Count == 0;
            if (frame.Delta == 0)
            {
                if (!finished)
                {
                    ResetLocked(frame.Id, stream, RstStatus.ProtocolError, "WINDOW_UPDATE with delta 0");
                }

                return;
            }

            stream.SendWindow += frame.Delta;
            if (stream.SendWindow > MaxWindow)
            {
                ResetLocked(frame.Id, stream, RstStatus.FlowControlError, "stream window exceeds 2^31-1");
                return;
            }

            if (finished)
            {
                return;
            }

            if (stream.SendWindow > 0 && stream.PendingWrites.Count > 0)
            {
                ReadyLocked(stream);
            }
        }
    }

    // spdy3 §2.6.9 CREDENTIAL: the server keeps a vector of client certificates (8 slots, 1-based). The proof
    // (a signature over a TLS exporter value) cannot be checked from here: the session has no TLS access.
    private void OnCredential(CredentialFrame frame)
    {
        if (Role == SpdyRole.Client)
        {
            throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, "CREDENTIAL sent by a server");
        }

        if (frame.Slot == 0 || frame.Slot > CredentialVectorSize || frame.Certificates.Count == 0 || frame.Proof.Length == 0)
        {
            // "If the server receives an invalid CREDENTIAL frame, it MUST respond with a GOAWAY frame and
            // shutdown the session."
            throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"invalid CREDENTIAL (slot {frame.Slot}, {frame.Certificates.Count} certificates)");
        }

        lock (_lock)
        {
            _credentials[frame.Slot] = frame.Certificates[0];
        }
    }

    /// <summary>The leaf certificate (DER) a client stored in a CREDENTIAL slot (1..8), or null.</summary>
    public byte[]? GetCredential(int slot)
    {
        lock (_lock)
        {
            return slot is >= 1 and <= CredentialVectorSize ? _credentials[slot] : null;
        }
    }

    private void OnStreamError(SpdyProtocolException error)
    {
        if (error.StreamId == 0)
        {
            // RST_STREAM cannot name stream 0 (spdy3 §2.3.2: "0 is not a valid Stream-ID"): a malformed header block
            // in a SYN_STREAM, SYN_REPLY or HEADERS on stream 0 is a session error (§2.4.1). Found by the fuzzer.
            FailSession(SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"{error.Message} (on stream 0)"));
            return;
        }

        lock (_lock)
        {
            _streams.TryGetValue(error.StreamId, out var stream);
            ResetLocked(error.StreamId, stream, error.StreamStatus, error.Message);
        }

        DrainAborts();
        SignalWriter();
    }

    private void OnIdle()
    {
        lock (_lock)
        {
            if (_streams.Count > 0 || _closing)
            {
                return;
            }

            Trace("-- idle timeout: GOAWAY");
            if (!_goAwaySent)
            {
                _goAwaySent = true;
                EnqueueLocked(new OutFrame { Kind = OutKind.GoAway, StreamId = _lastAcceptedPeerStreamId, GoAwayStatus = GoAwayStatus.Ok });
            }

            CheckDrainedLocked();
        }

        SignalWriter();
    }

    // ------------------------------------------------------------------ stream bookkeeping (under _lock)

    /// <summary>Stream error: RST_STREAM(status) and close the stream locally (spdy3 §2.4.2).</summary>
    private void ResetLocked(int id, SpdyStream? stream, RstStatus status, string reason, bool peerTriggered = true)
    {
        if (_options.Trace is not null)
        {
            Trace($"-- reset stream {id}: {status} ({reason})");
        }

        EnqueueLocked(new OutFrame { Kind = OutKind.RstStream, StreamId = id, Status = status, PeerTriggered = peerTriggered });
        RememberResetLocked(id);
        if (stream is not null && stream.State == StreamState.Open)
        {
            CloseLocked(stream, new SpdyStreamResetException(id, status, false, reason));
        }
    }

    private void RememberResetLocked(int id)
    {
        if (_recentlyReset.Add(id))
        {
            _recentlyResetOrder.Enqueue(id);
            if (_recentlyResetOrder.Count > RecentlyResetCapacity)
            {
                _recentlyReset.Remove(_recentlyResetOrder.Dequeue());
            }
        }
    }

    /// <summary>Removes the stream; with an error, the application side is aborted (after the lock is released).</summary>
    private void CloseLocked(SpdyStream stream, Exception? error)
    {
        if (stream.State == StreamState.Closed)
        {
            return;
        }

        stream.State = StreamState.Closed;
        _streams.Remove(stream.Id);
        UnreadyLocked(stream);
        if (stream.IsLocal)
        {
            _activeLocal--;
            WakeOpenWaitersLocked();
        }
        else
        {
            _activePeer--;
        }

        if (error is not null)
        {
            stream.CloseError = error;
            while (stream.PendingWrites.TryDequeue(out var write))
            {
                // A copied write's buffer is left to the GC: the writer may still be copying a chunk of it.
                write.Completion?.TrySetException(error);
            }

            // Unread data will never be consumed: give its session window back (3.1).
            CreditDiscardedLocked(null, (int)Math.Min(stream.Buffered, int.MaxValue));
            stream.Buffered = 0;
            _pendingAborts.Add((stream, error));
            Volatile.Write(ref _abortsPending, 1);
        }

        CheckDrainedLocked();
    }

    private void MaybeCloseLocked(SpdyStream stream)
    {
        if (stream.State == StreamState.Open && stream.FinSent && stream.RemoteClosed && stream.PendingWrites.Count == 0)
        {
            CloseLocked(stream, null);
        }
    }

    /// <summary>After a GOAWAY (either way), the session ends once its last stream is done.</summary>
    private void CheckDrainedLocked()
    {
        if ((_goAwaySent || _goAwayReceived) && _streams.Count == 0 && !_closing)
        {
            _closing = true;
            if (!_goAwaySent)
            {
                // "Endpoints should always send a GOAWAY message before closing a connection."
                _goAwaySent = true;
                EnqueueLocked(new OutFrame { Kind = OutKind.GoAway, StreamId = _lastAcceptedPeerStreamId, GoAwayStatus = GoAwayStatus.Ok });
            }

            _outputShutdown = true;
            _stopReading = true;
            _transport.Input.CancelPendingRead();
        }
    }

    private void WakeOpenWaitersLocked()
    {
        foreach (var waiter in _openWaiters)
        {
            waiter.TrySetResult();
        }

        _openWaiters.Clear();
    }

    private void CreditDiscardedLocked(SpdyStream? stream, int length)
    {
        if (length <= 0)
        {
            return;
        }

        if (Profile.HasSessionFlowControl)
        {
            AckSessionLocked(length);
        }

        if (stream is not null && SendsStreamWindowUpdates)
        {
            AckStreamLocked(stream, length);
        }
    }

    private void AckSessionLocked(long bytes)
    {
        _sessionRecvUnacked += bytes;
        if (_sessionRecvUnacked >= _options.SessionWindowSize / 2 && !_closing)
        {
            EnqueueLocked(new OutFrame { Kind = OutKind.WindowUpdate, StreamId = 0, Delta = (int)_sessionRecvUnacked });
            _sessionRecvWindow += _sessionRecvUnacked;
            _sessionRecvUnacked = 0;
        }
    }

    /// <summary>Stream WINDOW_UPDATEs go out in SPDY/3 and 3.1, and in SPDY/2 for peers that apply SPDY/3 flow control to it.</summary>
    private bool SendsStreamWindowUpdates => Profile.HasFlowControl || _options.Spdy2WindowUpdates;

    private void AckStreamLocked(SpdyStream stream, long bytes)
    {
        // No WINDOW_UPDATE once the peer has finished the stream (spdy3 §2.6.8).
        if (stream.RemoteClosed || stream.State == StreamState.Closed || _closing)
        {
            return;
        }

        stream.RecvUnacked += bytes;
        // SPDY/2 announces no window (no SETTINGS_INITIAL_WINDOW_SIZE is sent): a peer that applies flow control
        // to it assumes SPDY/3's 64 KB default, so credit at half of that.
        var window = Profile.HasFlowControl ? _options.InitialWindowSize : Profile.DefaultInitialWindowSize;
        if (stream.RecvUnacked >= Math.Max(1, window / 2))
        {
            EnqueueLocked(new OutFrame { Kind = OutKind.WindowUpdate, StreamId = stream.Id, Delta = (int)stream.RecvUnacked });
            stream.RecvWindow += stream.RecvUnacked;
            stream.RecvUnacked = 0;
        }
    }

    // ------------------------------------------------------------------ application calls

    internal void OnInputConsumed(SpdyStream stream, long bytes)
    {
        lock (_lock)
        {
            if (stream.CloseError is not null)
            {
                return; // closed abnormally: its unread bytes were credited back when it closed (CloseLocked)
            }

            stream.Buffered -= bytes;
            if (Profile.HasSessionFlowControl)
            {
                AckSessionLocked(bytes);
            }

            if (SendsStreamWindowUpdates)
            {
                AckStreamLocked(stream, bytes);
            }
        }

        SignalWriter();
    }

    internal void OnInputAbandoned(SpdyStream stream)
    {
        lock (_lock)
        {
            if (stream.InputAbandoned)
            {
                return;
            }

            stream.InputAbandoned = true;
            // Whatever was buffered is dropped with the reader: count it as consumed.
            var buffered = stream.Buffered;
            stream.Buffered = 0;
            if (buffered > 0)
            {
                CreditDiscardedLocked(stream, (int)Math.Min(buffered, int.MaxValue));
            }
        }

        SignalWriter();
    }

    /// <summary>Client: opens a request stream (SYN_STREAM). Waits while the peer's MAX_CONCURRENT_STREAMS is
    /// reached. Throws <see cref="SpdySessionClosedException"/> after a GOAWAY.</summary>
    public async ValueTask<SpdyStream> OpenStreamAsync(HeaderList headers, int priority, bool endStream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (Role != SpdyRole.Client)
        {
            throw new InvalidOperationException("only a client opens request streams; a server pushes with PushAsync");
        }

        priority = Math.Clamp(priority, 0, Profile.LowestPriority);
        while (true)
        {
            TaskCompletionSource waiter;
            lock (_lock)
            {
                ThrowIfNoNewStreamsLocked();
                if (_activeLocal < _peerMaxConcurrent)
                {
                    var stream = CreateLocalStreamLocked(priority, isPushed: false, associatedStreamId: 0, headers);
                    if (endStream)
                    {
                        stream.LocalClosed = true;
                        stream.FinSent = true;
                    }

                    EnqueueLocked(new OutFrame
                    {
                        Kind = OutKind.SynStream, StreamId = stream.Id, Priority = priority, Headers = headers,
                        Flags = endStream ? SpdyFlags.Fin : (byte)0,
                    });
                    SignalWriter();
                    return stream;
                }

                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _openWaiters.Add(waiter);
            }

            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Server: pushes a resource associated with an open client stream (unidirectional SYN_STREAM,
    /// spdy3 §3.3.1). Must be called before the associated stream's FIN. Write its body with WriteDataAsync.</summary>
    public ValueTask<SpdyStream> PushAsync(SpdyStream associated, HeaderList headers, int priority, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(associated);
        ArgumentNullException.ThrowIfNull(headers);
        cancellationToken.ThrowIfCancellationRequested();
        if (Role != SpdyRole.Server)
        {
            throw new InvalidOperationException("only a server pushes");
        }

        priority = Math.Clamp(priority, 0, Profile.LowestPriority);
        lock (_lock)
        {
            ThrowIfNoNewStreamsLocked();
            if (associated.State == StreamState.Closed && associated.CloseError is not null)
            {
                // The client reset the stream (or the session failed) while the app was answering it: a race the
                // app cannot avoid, so it gets the stream's reset as its writes do, not a usage error.
                throw associated.CloseError;
            }

            if (associated.IsLocal || associated.State == StreamState.Closed || associated.LocalClosed)
            {
                throw new InvalidOperationException($"cannot push on {associated}: pushes must be created while the client's stream is open, before its FIN (spdy3 §3.3.1)");
            }

            if (_activeLocal >= _peerMaxConcurrent)
            {
                throw new InvalidOperationException($"cannot push: the client's MAX_CONCURRENT_STREAMS ({_peerMaxConcurrent}) is reached");
            }

            var stream = CreateLocalStreamLocked(priority, isPushed: true, associated.Id, headers);
            stream.RemoteClosed = true; // unidirectional: the client cannot send on it
            stream.ReplySent = true;    // no SYN_REPLY on a push: DATA may follow the SYN_STREAM
            Interlocked.Increment(ref Counters.pushesSent);
            EnqueueLocked(new OutFrame
            {
                Kind = OutKind.SynStream, StreamId = stream.Id, AssociatedStreamId = associated.Id, Priority = priority, Headers = headers,
                Flags = SpdyFlags.Unidirectional,
            });
            stream.CompleteInputSilently();
            SignalWriter();
            return ValueTask.FromResult(stream);
        }
    }

    private SpdyStream CreateLocalStreamLocked(int priority, bool isPushed, int associatedStreamId, HeaderList headers)
    {
        if (_nextStreamId > int.MaxValue)
        {
            // spdy3 §2.3.2: "Stream IDs do not wrap".
            throw new SpdySessionClosedException("stream ids are exhausted on this session; open a new one");
        }

        var id = (int)_nextStreamId;
        _nextStreamId += 2;
        // Our push is unidirectional: the client never sends on it (spdy3 §3.3.1), so it needs no input pipe.
        var stream = new SpdyStream(this, id, priority, isLocal: true, isPushed, associatedStreamId, headers, _streamInputPause, inputClosed: isPushed)
        {
            SendWindow = _peerInitialWindow,
            RecvWindow = _options.InitialWindowSize,
        };
        _streams[id] = stream;
        _activeLocal++;
        Interlocked.Increment(ref Counters.streamsOpenedLocally);
        return stream;
    }

    private void ThrowIfNoNewStreamsLocked()
    {
        if (_closing || _goAwaySent || _goAwayReceived)
        {
            // spdy3 §2.6.6: no new streams after a GOAWAY in either direction.
            throw new SpdySessionClosedException(_closeReason is null ? "the session is going away (GOAWAY): open a new session" : $"the session ended: {_closeReason.Message}", _closeReason) { NotProcessed = true };
        }
    }

    internal void EnqueueHeaders(SpdyStream stream, HeaderList headers, bool endStream)
    {
        lock (_lock)
        {
            DrainRepliesLocked();
            ThrowIfStreamUnwritableLocked(stream);
            if (stream.PendingWrites.Count > 0)
            {
                throw new InvalidOperationException($"{stream}: await WriteDataAsync before writing headers (frames of a stream go out in order)");
            }

            var kind = !stream.IsLocal && !stream.ReplySent ? OutKind.SynReply : OutKind.Headers;
            stream.ReplySent = true;
            EnqueueLocked(new OutFrame { Kind = kind, StreamId = stream.Id, Headers = headers, Flags = endStream ? SpdyFlags.Fin : (byte)0 });
            if (endStream)
            {
                stream.LocalClosed = true;
                stream.FinSent = true;
                MaybeCloseLocked(stream);
            }
        }

        SignalWriter();
    }

    /// <summary>Bodies up to this size go with their reply as a pooled copy (<see cref="SpdyStream.WriteReplyAndDataAsync"/>):
    /// at most this much per stream is held beyond what the caller owns.</summary>
    public const int SmallBodyCopyLimit = 16 * 1024;

    /// <summary>Where those copies come from: rented by request tasks and returned by session writers, so a pool
    /// without per-thread caches (ArrayPool.Shared's would keep allocating on the renting threads).</summary>
    internal static readonly System.Buffers.ArrayPool<byte> SmallBodies = System.Buffers.ArrayPool<byte>.Create(SmallBodyCopyLimit, 128);

    private readonly System.Collections.Concurrent.ConcurrentQueue<QueuedReply> _replies = new();

    // Header lists of this side's replies, taken back by the writer once serialized (a list, its entry array and an
    // entry per header were made per response). Request handlers rent on every thread, the writer returns.
    private readonly BoundedPool<HeaderList> _idleHeaderLists = new(64);
    internal const int MaxRecycledHeaderNames = 64;

    /// <summary>
    /// An empty header list that comes back to this session once the writer has serialized the frame it was queued in
    /// (<see cref="SpdyStream.WriteHeadersAsync"/>, <see cref="SpdyStream.WriteReplyAndDataAsync"/>): the caller must
    /// not read or change it after queueing it. A list that never goes out (the stream was reset first) is left to the GC.
    /// </summary>
    public HeaderList RentHeaderList()
    {
        return _idleHeaderLists.TryRent(out var list) ? list : new HeaderList { ReturnsToSession = true };
    }

    /// <summary>Idle rented header lists (for tests).</summary>
    internal int IdleHeaderListCount => _idleHeaderLists.Count;

    private void ReturnHeaderList(HeaderList list)
    {
        // A cleared list keeps its entries and array: one that carried an unusually large block is left to the GC
        // rather than kept for the session's lifetime.
        if (list.NameCount > MaxRecycledHeaderNames)
        {
            return;
        }
        list.ClearForReuse();
        _idleHeaderLists.Return(list);
    }

    internal ValueTask EnqueueReplyAndData(SpdyStream stream, HeaderList headers, ReadOnlyMemory<byte> body, bool endStream, CancellationToken cancellationToken)
    {
        if (body.IsEmpty || body.Length > SmallBodyCopyLimit)
        {
            EnqueueHeaders(stream, headers, endStream && body.IsEmpty);
            return body.IsEmpty ? ValueTask.CompletedTask : EnqueueData(stream, body, endStream, cancellationToken);
        }

        // Checked without the lock (a racing reset is caught when the writer moves the reply): a second reply or
        // a write after FIN is the caller's mistake and fails here, as it would under the lock.
        if (stream.State == StreamState.Closed && stream.CloseError is not null)
        {
            return ValueTask.FromException(stream.CloseError);
        }

        if (stream.LocalClosed || stream.ReplyQueued || stream.PendingWrites.Count > 0)
        {
            throw new InvalidOperationException($"{stream}: a reply with its body must be the stream's first and only write");
        }

        var copy = SmallBodies.Rent(body.Length);
        body.Span.CopyTo(copy);
        // No session lock here: with 100 requests answering at once on one session, the lock taken by every reply
        // was the most contended spot of the server. The writer moves queued replies into the output in one lock round.
        stream.ReplyQueued = true;
        _replies.Enqueue(new QueuedReply(stream, headers, new PendingWrite(copy, body.Length, endStream)));
        SignalWriter();
        return ValueTask.CompletedTask;
    }

    /// <summary>A reply and its small body waiting for the writer (<see cref="EnqueueReplyAndData"/>).</summary>
    private readonly record struct QueuedReply(SpdyStream Stream, HeaderList Headers, PendingWrite Write);

    /// <summary>
    /// Moves queued replies into the output (under the lock): the reply as a control frame (SYN_REPLY, or HEADERS
    /// on our push), its body as the stream's pending write. A stream reset meanwhile drops its reply.
    /// Every other writer of a stream calls this first, so a stream's frames keep their order.
    /// </summary>
    private void DrainRepliesLocked()
    {
        while (_replies.TryDequeue(out var reply))
        {
            var stream = reply.Stream;
            if (stream.State == StreamState.Closed || stream.LocalClosed)
            {
                continue; // reset (or the session ended) before it went out: the copy is left to the GC
            }

            var kind = !stream.IsLocal && !stream.ReplySent ? OutKind.SynReply : OutKind.Headers;
            stream.ReplySent = true;
            EnqueueLocked(new OutFrame { Kind = kind, StreamId = stream.Id, Headers = reply.Headers });
            stream.PendingWrites.Enqueue(reply.Write);
            if (reply.Write.Fin)
            {
                stream.LocalClosed = true;
            }

            ReadyLocked(stream);
        }
    }

    internal ValueTask EnqueueData(SpdyStream stream, ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        PendingWrite write;
        lock (_lock)
        {
            DrainRepliesLocked();
            if (stream.State == StreamState.Closed && stream.CloseError is not null)
            {
                return ValueTask.FromException(stream.CloseError);
            }

            ThrowIfStreamUnwritableLocked(stream);
            if (!stream.IsLocal && !stream.ReplySent)
            {
                throw new InvalidOperationException($"{stream}: write the reply headers (SYN_REPLY) before data");
            }

            if (data.IsEmpty && !endStream)
            {
                return ValueTask.CompletedTask;
            }

            write = new PendingWrite(data, endStream);
            stream.PendingWrites.Enqueue(write);
            if (endStream)
            {
                stream.LocalClosed = true;
            }

            ReadyLocked(stream);
        }

        SignalWriter();
        if (cancellationToken.CanBeCanceled)
        {
            // A write given up half-way leaves the peer with part of a body: cancel the stream.
            var completion = write.Completion!;
            var registration = cancellationToken.Register(() =>
            {
                if (!completion.Task.IsCompleted)
                {
                    stream.Reset(RstStatus.Cancel);
                }
            });
            completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }

        return new ValueTask(write.Completion!.Task);
    }

    private static void ThrowIfStreamUnwritableLocked(SpdyStream stream)
    {
        if (stream.State == StreamState.Closed && stream.CloseError is not null)
        {
            throw stream.CloseError;
        }

        if (stream.LocalClosed)
        {
            throw new InvalidOperationException($"{stream}: this side already finished the stream (FIN sent)");
        }
    }

    internal void ResetStream(SpdyStream stream, RstStatus status)
    {
        lock (_lock)
        {
            if (stream.State == StreamState.Closed || _closing)
            {
                return;
            }

            ResetLocked(stream.Id, stream, status, "reset by the application", peerTriggered: false);
        }

        DrainAborts();
        SignalWriter();
    }

    /// <summary>Sends a PING and waits for its echo; returns the round-trip time (spdy3 §2.6.5).</summary>
    public async ValueTask<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var pending = new PendingPing();
        uint id;
        lock (_lock)
        {
            if (_closing)
            {
                throw new SpdySessionClosedException("the session has ended");
            }

            id = _nextPingId;
            _nextPingId = _nextPingId + 2 > int.MaxValue ? (Role == SpdyRole.Client ? 1u : 2u) : _nextPingId + 2; // ids may wrap (spdy3 §2.6.5)
            pending.Started = Stopwatch.GetTimestamp();
            _pings[id] = pending;
            EnqueueLocked(new OutFrame { Kind = OutKind.Ping, PingId = id });
        }

        SignalWriter();
        using var registration = cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                _pings.Remove(id);
            }

            pending.Completion.TrySetCanceled(cancellationToken);
        });
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Graceful shutdown (spdy3 §2.6.6, §3.1.1): sends GOAWAY with the last stream id we accepted; no new
    /// streams are accepted or opened; streams in flight finish, then the session closes. Completes when the
    /// GOAWAY has been written.</summary>
    public async Task GoAwayAsync(GoAwayStatus status = GoAwayStatus.Ok, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource written;
        lock (_lock)
        {
            if (_goAwaySent || _closing)
            {
                return;
            }

            _goAwaySent = true;
            written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            EnqueueLocked(new OutFrame { Kind = OutKind.GoAway, StreamId = _lastAcceptedPeerStreamId, GoAwayStatus = status, Written = written });
            WakeOpenWaitersLocked();
            CheckDrainedLocked();
        }

        SignalWriter();
        await written.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Session error (spdy3 §2.4.1): GOAWAY(last good stream id, status), then close. A stream named by
    /// the error gets its RST_STREAM first.</summary>
    private void FailSession(SpdyProtocolException error)
    {
        lock (_lock)
        {
            if (_closing)
            {
                return;
            }

            _closeReason = error;
            if (error.StreamId != 0)
            {
                EnqueueLocked(new OutFrame { Kind = OutKind.RstStream, StreamId = error.StreamId, Status = error.StreamStatus });
            }

            if (!_goAwaySent)
            {
                _goAwaySent = true;
                EnqueueLocked(new OutFrame { Kind = OutKind.GoAway, StreamId = _lastAcceptedPeerStreamId, GoAwayStatus = error.SessionStatus });
            }

            CloseAllLocked(new SpdySessionClosedException($"session error: {error.Message}", error));
        }

        DrainAborts();
        SignalWriter();
    }

    private void CloseAllLocked(Exception error)
    {
        _closing = true;
        _stopReading = true;
        _outputShutdown = true;
        foreach (var stream in _streams.Values.ToList())
        {
            CloseLocked(stream, error);
        }

        foreach (var ping in _pings.Values)
        {
            ping.Completion.TrySetException(error);
        }

        _pings.Clear();
        foreach (var waiter in _openWaiters)
        {
            waiter.TrySetException(error);
        }

        _openWaiters.Clear();
    }

    private async Task ShutdownAsync()
    {
        lock (_lock)
        {
            var reason = _closeReason ?? new SpdySessionClosedException("the session closed");
            if (!_goAwaySent && !_peerClosedConnection)
            {
                // A local close (cancellation, dispose): "Endpoints should always send a GOAWAY message before
                // closing a connection" (spdy3 §2.6.6).
                _goAwaySent = true;
                EnqueueLocked(new OutFrame { Kind = OutKind.GoAway, StreamId = _lastAcceptedPeerStreamId, GoAwayStatus = GoAwayStatus.Ok });
            }

            if (!_closing)
            {
                CloseAllLocked(new SpdySessionClosedException(reason.Message, reason));
            }
            else
            {
                _stopReading = true;
                _outputShutdown = true;
                CloseAllLocked(reason as SpdySessionClosedException ?? new SpdySessionClosedException(reason.Message, reason));
            }
        }

        DrainAborts();
        SignalWriter();
        _idleTimer?.Dispose();
        if (_writeTask is not null)
        {
            // The peer may not read any more: don't wait for ever to flush the GOAWAY.
            if (await Task.WhenAny(_writeTask, Task.Delay(_options.CloseFlushTimeout)).ConfigureAwait(false) != _writeTask)
            {
                _transport.Output.CancelPendingFlush();
                await Task.WhenAny(_writeTask, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
            }
        }

        try
        {
            await _transport.Input.CompleteAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // already completed by the transport
        }

        Trace($"-- session closed{(_closeReason is null ? string.Empty : $": {_closeReason.Message}")}; {Counters}");
    }

    private void DrainAborts()
    {
        // Checked without the lock first: the read loop calls this after every frame, and a lock round per frame on the
        // session's busiest lock for an empty list was a cost on every request. Whoever queues an abort drains after it
        // (and the read loop's next frame would too), so a racing miss here only defers to that drain.
        if (Volatile.Read(ref _abortsPending) == 0)
        {
            return;
        }

        List<(SpdyStream Stream, Exception Error)> aborts;
        lock (_lock)
        {
            _abortsPending = 0;
            if (_pendingAborts.Count == 0)
            {
                return;
            }

            aborts = [.. _pendingAborts];
            _pendingAborts.Clear();
        }

        foreach (var (stream, error) in aborts)
        {
            stream.Abort(error);
        }
    }

    private void Trace(string line) => _options.Trace?.Invoke(line);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Task? run;
        lock (_lock)
        {
            run = _runTask;
            if (!_closing)
            {
                _closeReason ??= new SpdySessionClosedException("the session was disposed");
                if (!_goAwaySent && !_peerClosedConnection)
                {
                    _goAwaySent = true;
                    EnqueueLocked(new OutFrame { Kind = OutKind.GoAway, StreamId = _lastAcceptedPeerStreamId, GoAwayStatus = GoAwayStatus.Ok });
                }

                CloseAllLocked(new SpdySessionClosedException("the session was disposed"));
            }

            _stopReading = true;
        }

        DrainAborts();
        SignalWriter();

        if (run is not null)
        {
            _transport.Input.CancelPendingRead();
            await run.ConfigureAwait(false);
        }

        _reader.Dispose();
        _writer.Dispose();
    }

    private sealed class PendingPing
    {
        public long Started { get; set; }

        public TaskCompletionSource<TimeSpan> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
