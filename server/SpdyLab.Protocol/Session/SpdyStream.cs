using System.Buffers;
using System.IO.Pipelines;

namespace SpdyLab.Protocol;

/// <summary>
/// One SPDY stream. The session owns its state (guarded by the session lock); the application reads
/// <see cref="Input"/> and writes through <see cref="WriteHeadersAsync"/> / <see cref="WriteDataAsync"/>.
/// </summary>
public sealed class SpdyStream : IThreadPoolWorkItem
{
    /// <summary>DATA up to this size is copied into one segment of the input pipe (a 16 KB frame: one pooled 16 KB
    /// buffer rather than four 4 KB segments; a 1 KB frame still gets a 4 KB one).</summary>
    private const int OneSegmentLimit = 64 * 1024;

    private readonly SpdySession _session;
    // Made when first touched: a server's request stream never has response headers to wait for, so most streams
    // on a server never need one (a task source and its task per request).
    private TaskCompletionSource<HeaderList>? _responseSource;
    private readonly CancellationTokenSource _aborted = new();

    // Null when the peer can never send on the stream (a request with FIN on its SYN_STREAM, our push): most
    // GET streams on a server then cost no pipe at all.
    private readonly Pipe? _input;

    internal SpdyStream(SpdySession session, int id, int priority, bool isLocal, bool isPushed, int associatedStreamId, HeaderList headers, long pauseThreshold,
        bool inputClosed = false)
    {
        _session = session;
        Id = id;
        Priority = priority;
        IsLocal = isLocal;
        IsPushed = isPushed;
        AssociatedStreamId = associatedStreamId;
        Headers = headers;
        if (inputClosed)
        {
            _inputDone = true;
            Input = CompletedInputReader.Instance;
        }
        else
        {
            _input = new Pipe(new PipeOptions(pauseWriterThreshold: pauseThreshold, resumeWriterThreshold: pauseThreshold / 2, useSynchronizationContext: false));
            Input = new StreamInputReader(this, _input.Reader);
        }

        ReadyNode = new LinkedListNode<SpdyStream>(this);
    }

    public int Id { get; }

    /// <summary>0 = highest; up to the version's <see cref="SpdyProtocolProfile.LowestPriority"/>.</summary>
    public int Priority { get; }

    /// <summary>True for a server-pushed (unidirectional) stream.</summary>
    public bool IsPushed { get; }

    /// <summary>The stream a pushed stream belongs to (0 otherwise).</summary>
    public int AssociatedStreamId { get; }

    /// <summary>True if this side opened the stream.</summary>
    public bool IsLocal { get; }

    /// <summary>The SYN_STREAM headers: sent by us (a client's request, a server's push) or received (the request
    /// on a server, the pushed resource on a client).</summary>
    public HeaderList Headers { get; }

    /// <summary>Headers received from the peer: on a stream the peer opened, its SYN_STREAM headers (the request
    /// on a server, the pushed resource on a client); on a stream we opened, the SYN_REPLY headers once they have
    /// arrived (empty before).</summary>
    public HeaderList ReceivedHeaders => !IsLocal || IsPushed
        ? Headers
        : Response.Task.IsCompletedSuccessfully ? Response.Task.Result : new HeaderList();

    /// <summary>The reply headers (SYN_REPLY) of a stream we opened; for a pushed stream, its SYN_STREAM headers
    /// plus those of HEADERS frames up to the one carrying the status (or up to its first DATA).
    /// Faults with <see cref="SpdyStreamResetException"/> or <see cref="SpdySessionClosedException"/>.</summary>
    public Task<HeaderList> ResponseHeadersAsync => Response.Task;

    private TaskCompletionSource<HeaderList> Response
    {
        get
        {
            if (Volatile.Read(ref _responseSource) is { } existing)
            {
                return existing;
            }

            var made = new TaskCompletionSource<HeaderList>(TaskCreationOptions.RunContinuationsAsynchronously);
            return Interlocked.CompareExchange(ref _responseSource, made, null) ?? made;
        }
    }

    /// <summary>Headers of HEADERS frames received after the first header block, merged in arrival order.</summary>
    public HeaderList? Trailers { get; internal set; }

    /// <summary>The peer's DATA. Completes at FIN; faults when the stream is reset or the session ends, after the DATA received before that has been read.
    /// Consuming data (AdvanceTo) opens the peer's flow-control window again.</summary>
    public PipeReader Input { get; }

    /// <summary>Cancelled when the stream is reset by either side or the session ends.</summary>
    public CancellationToken Aborted => _aborted.Token;

    /// <summary>True once the peer has finished sending (FIN seen, or a stream the peer cannot send on): e.g. a
    /// request that arrived with FIN on its SYN_STREAM has no body.</summary>
    public bool PeerFinished => RemoteClosed;

    /// <summary>True once both sides have finished (FIN) or the stream was reset.</summary>
    public bool IsClosed => State == StreamState.Closed;

    // ---- state owned by the session (under its lock) ----
    internal StreamState State { get; set; } = StreamState.Open;

    internal bool LocalClosed { get; set; }

    internal bool RemoteClosed { get; set; }

    internal bool ReplySent { get; set; }

    /// <summary>A reply with its small body waits in the session's lock-free reply queue (set by the one caller
    /// that queued it; the writer moves it into the output under the lock).</summary>
    internal bool ReplyQueued { get; set; }

    internal bool ReplyReceived { get; set; }

    internal bool InputAbandoned { get; set; }

    /// <summary>Our FIN has been framed (or queued in a header frame): nothing more will be sent.</summary>
    internal bool FinSent { get; set; }

    /// <summary>A push whose SYN_STREAM had no status yet: headers collected until HEADERS bring it.</summary>
    internal HeaderList? PendingPushHeaders { get; set; }

    /// <summary>Received DATA bytes not yet consumed by the application.</summary>
    internal long Buffered { get; set; }

    /// <summary>Why the stream closed abnormally (null after a clean close).</summary>
    internal Exception? CloseError { get; set; }

    internal long SendWindow { get; set; }

    internal long RecvWindow { get; set; }

    internal long RecvUnacked { get; set; }

    internal Queue<PendingWrite> PendingWrites { get; } = new();

    /// <summary>This stream's entry in the scheduler's ready list of its priority level (in a list while it has
    /// DATA to send); one node for the stream's life, so scheduling allocates nothing per chunk.</summary>
    internal LinkedListNode<SpdyStream> ReadyNode { get; }

    internal object InputLock => (object?)_input ?? this;

    private bool _inputDone;

    /// <summary>Why the input ended early (reset or session end); the reader throws it once the DATA
    /// received before it has been read.</summary>
    internal Exception? InputError { get; private set; }

    /// <summary>Sends headers: on a stream the peer opened, the first call is the SYN_REPLY; any other call is a
    /// HEADERS frame. <paramref name="endStream"/> sets FIN (half-closes our side).</summary>
    public ValueTask WriteHeadersAsync(HeaderList headers, bool endStream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        cancellationToken.ThrowIfCancellationRequested();
        _session.EnqueueHeaders(this, headers, endStream);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The reply headers (SYN_REPLY, or HEADERS on our push) and the whole body of a small response under one
    /// session-lock acquisition: the body (up to <see cref="SpdySession.SmallBodyCopyLimit"/> bytes) is copied into
    /// a pooled buffer, so this completes at once instead of when the writer has framed it. A larger body is sent
    /// as <see cref="WriteHeadersAsync"/> then <see cref="WriteDataAsync"/> would.
    /// </summary>
    public ValueTask WriteReplyAndDataAsync(HeaderList headers, ReadOnlyMemory<byte> body, bool endStream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        cancellationToken.ThrowIfCancellationRequested();
        return _session.EnqueueReplyAndData(this, headers, body, endStream, cancellationToken);
    }

    /// <summary>Queues body bytes; they go out in DATA frames of at most DataChunkSize, ordered by priority and
    /// limited by flow control. Completes when the last byte has been framed into the connection's output.
    /// <paramref name="data"/> must stay unchanged until then.</summary>
    public ValueTask WriteDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken = default) =>
        _session.EnqueueData(this, data, endStream, cancellationToken);

    /// <summary>Abrupt termination: RST_STREAM with <paramref name="status"/> (spdy3 §2.3.7). No-op if closed.</summary>
    public void Reset(RstStatus status = RstStatus.Cancel) => _session.ResetStream(this, status);

    /// <summary>
    /// <see cref="Reset"/>, then cancels <see cref="Aborted"/> before returning, also on a stream that had already
    /// closed (where the reset sends nothing): for an application giving up on the stream that relies on the token
    /// having fired (the session would cancel it on its own only when it processes the reset, possibly on another thread).
    /// </summary>
    public void ResetAndCancel(RstStatus status)
    {
        Reset(status);
        _aborted.Cancel();
    }

    public override string ToString() => $"stream {Id}{(IsPushed ? $" (pushed, assoc {AssociatedStreamId})" : string.Empty)} pri {Priority} {State}";

    private int _handlerStarted;

    internal SpdySession Session => _session;

    /// <summary>The session queues a stream the peer opened to the thread pool as itself: this runs the application's
    /// handler (once; a second call does nothing).</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (Interlocked.Exchange(ref _handlerStarted, 1) == 0)
        {
            _session.RunPeerStreamHandler(this);
        }
    }

    internal void OnInputConsumed(long bytes) => _session.OnInputConsumed(this, bytes);

    internal void OnInputAbandoned() => _session.OnInputAbandoned(this);

    internal void SetResponse(HeaderList headers) => Response.TrySetResult(headers);

    /// <summary>Faults the response headers task unless it has completed. The fault is marked observed (nobody
    /// may be waiting for it), here on the error path rather than by a continuation on every stream.</summary>
    private void FailResponse(Exception error)
    {
        if (Response.TrySetException(error))
        {
            _ = Response.Task.Exception;
        }
    }

    /// <summary>Ends the stream's application-facing side with an error (reset or session end). Called outside
    /// the session lock: cancellation callbacks run application code.</summary>
    internal void Abort(Exception error)
    {
        FailResponse(error);
        lock (InputLock)
        {
            if (!_inputDone)
            {
                _inputDone = true;
                _input!.Writer.CancelPendingFlush(); // release a read loop waiting for this stream's reader (SPDY/2)
                // DATA that arrived before the reset stays readable; the error comes after it (StreamInputReader).
                // node-spdy resets a stream whose body it has sent in full but whose FIN is still queued behind
                // the RST_STREAM (docs/client.md, quirk 9): faulting the pipe at once lost that body.
                InputError = error;
                _input.Writer.Complete();
            }
        }

        try
        {
            _aborted.Cancel();
        }
        catch (AggregateException)
        {
            // A callback registered by the application threw; the stream is closed either way.
        }
    }

    /// <summary>The peer finished sending (FIN).</summary>
    internal void CompleteInput()
    {
        CompleteInputSilently();
        if ((IsLocal || IsPushed) && !Response.Task.IsCompleted)
        {
            // Only our requests and pushed streams wait for response headers; a server's request stream has none,
            // and faulting it would cost an exception object per request.
            FailResponse(new SpdyStreamResetException(Id, RstStatus.ProtocolError, true, "stream ended without a reply"));
        }
    }

    /// <summary>No DATA will come (FIN, or a stream the peer cannot send on).</summary>
    internal void CompleteInputSilently()
    {
        lock (InputLock)
        {
            if (!_inputDone)
            {
                _inputDone = true;
                _input!.Writer.Complete();
            }
        }
    }

    /// <summary>Copies received DATA into the input pipe (the read loop is the only caller).</summary>
    internal ValueTask<FlushResult> WriteInput(System.Buffers.ReadOnlySequence<byte> data)
    {
        lock (InputLock)
        {
            if (_inputDone)
            {
                return ValueTask.FromResult(new FlushResult(isCanceled: false, isCompleted: true));
            }

            if (data.Length <= OneSegmentLimit)
            {
                var length = (int)data.Length;
                data.CopyTo(_input!.Writer.GetSpan(length));
                _input.Writer.Advance(length);
            }
            else
            {
                foreach (var segment in data)
                {
                    _input!.Writer.Write(segment.Span);
                }
            }

            return _input!.Writer.FlushAsync();
        }
    }
}

internal enum StreamState
{
    Open,
    Closed,
}

/// <summary>Body bytes waiting in the output scheduler.</summary>
internal sealed class PendingWrite
{
    /// <summary>The caller's bytes: the caller waits on <see cref="Completion"/> before reusing them.</summary>
    public PendingWrite(ReadOnlyMemory<byte> data, bool fin)
    {
        Data = data;
        Fin = fin;
        Completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A copy in a pooled buffer that nobody waits for; the writer returns it once framed.</summary>
    public PendingWrite(byte[] rented, int length, bool fin)
    {
        Data = rented.AsMemory(0, length);
        Fin = fin;
        Rented = rented;
    }

    public ReadOnlyMemory<byte> Data { get; }

    public bool Fin { get; }

    public int Offset { get; set; }

    /// <summary>Null for a copied write (<see cref="Rented"/>).</summary>
    public TaskCompletionSource? Completion { get; }

    public byte[]? Rented { get; private set; }

    /// <summary>Framed: give the copy back to the pool (only the writer calls this, after copying the last chunk out).</summary>
    public void Finish()
    {
        Completion?.TrySetResult();
        if (Rented is { } rented)
        {
            Rented = null;
            SpdySession.SmallBodies.Return(rented);
        }
    }
}

/// <summary>The input of a stream the peer cannot send on: empty and complete from the start.</summary>
internal sealed class CompletedInputReader : PipeReader
{
    public static readonly CompletedInputReader Instance = new();

    public override void AdvanceTo(SequencePosition consumed)
    {
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
    }

    public override void CancelPendingRead()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<ReadResult>(cancellationToken)
            : new(new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true));

    public override bool TryRead(out ReadResult result)
    {
        result = new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
        return true;
    }
}
