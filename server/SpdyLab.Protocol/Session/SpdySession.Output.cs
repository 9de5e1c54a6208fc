using System.IO.Pipelines;

namespace SpdyLab.Protocol;

/// <summary>
/// The output scheduler and write loop. Control frames (SETTINGS, PING, RST_STREAM, GOAWAY, WINDOW_UPDATE and the
/// header frames SYN_STREAM / SYN_REPLY / HEADERS) go out first and in the order they were queued, which keeps
/// stream ids increasing on the wire and the header compressor in step with the peer's decompressor. Then DATA:
/// the highest priority level with a stream that may send wins (strict), streams of one level take turns
/// (round-robin), one chunk of at most DataChunkSize at a time, within the stream's and (3.1) the session's
/// flow-control windows.
/// </summary>
public sealed partial class SpdySession
{
    private const int FlushThreshold = 64 * 1024;

    private readonly Queue<OutFrame> _control = new();
    private readonly LinkedList<SpdyStream>[] _ready;
    private readonly AsyncAutoResetSignal _writeSignal = new();
    private int _queuedPeerTriggered;
    private bool _outputShutdown;

    private enum OutKind
    {
        SynStream,
        SynReply,
        Headers,
        RstStream,
        Settings,
        Ping,
        GoAway,
        WindowUpdate,
    }

    /// <summary>A queued control frame. A struct: WINDOW_UPDATEs are queued every half window, so on a busy
    /// session this would otherwise be an allocation every couple of DATA frames.</summary>
    private readonly struct OutFrame
    {
        public OutKind Kind { get; init; }

        public int StreamId { get; init; }

        public int AssociatedStreamId { get; init; }

        public int Priority { get; init; }

        public byte Flags { get; init; }

        public HeaderList? Headers { get; init; }

        public RstStatus Status { get; init; }

        public uint PingId { get; init; }

        public GoAwayStatus GoAwayStatus { get; init; }

        public int Delta { get; init; }

        public SettingsEntry[]? Settings { get; init; }

        /// <summary>Queued because of something the peer sent (a PING echo, a RST for its bad frame): these are
        /// what a flood makes us queue, and they are limited by MaxQueuedControlFrames.</summary>
        public bool PeerTriggered { get; init; }

        public TaskCompletionSource? Written { get; init; }
    }

    private readonly record struct DataChunk(int StreamId, ReadOnlyMemory<byte> Data, bool Fin, PendingWrite? Finished);

    private void EnqueueLocked(OutFrame frame)
    {
        if (frame.PeerTriggered)
        {
            if (_queuedPeerTriggered >= _options.MaxQueuedControlFrames)
            {
                // The peer makes us queue replies faster than it reads them (PING/RST flood): stop it.
                throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"more than {_options.MaxQueuedControlFrames} control replies queued: flood");
            }

            _queuedPeerTriggered++;
        }

        _control.Enqueue(frame);
    }

    private void ReadyLocked(SpdyStream stream)
    {
        if (stream.ReadyNode.List is null && stream.State == StreamState.Open)
        {
            _ready[Math.Clamp(stream.Priority, 0, _ready.Length - 1)].AddLast(stream.ReadyNode);
        }
    }

    private void UnreadyLocked(SpdyStream stream)
    {
        // The stream's own node goes in and out of its level's list: no allocation per DATA chunk.
        stream.ReadyNode.List?.Remove(stream.ReadyNode);
    }

    private void SignalWriter()
    {
        _writeSignal.Set();
    }

    /// <summary>Picks the next DATA chunk (under the lock).</summary>
    private bool TryPickDataLocked(out DataChunk chunk)
    {
        chunk = default;
        for (var level = 0; level < _ready.Length; level++)
        {
            var list = _ready[level];
            var node = list.First;
            while (node is not null)
            {
                var next = node.Next;
                var stream = node.Value;
                if (stream.PendingWrites.Count == 0 || stream.State == StreamState.Closed)
                {
                    UnreadyLocked(stream);
                    node = next;
                    continue;
                }

                var write = stream.PendingWrites.Peek();
                var remaining = write.Data.Length - write.Offset;
                long size = Math.Min(remaining, _options.DataChunkSize);
                if (Profile.HasFlowControl)
                {
                    size = Math.Min(size, stream.SendWindow);
                }

                if (_sessionWindowEnforced)
                {
                    size = Math.Min(size, _sessionSendWindow);
                }

                if (size <= 0 && remaining > 0)
                {
                    if (Profile.HasFlowControl && stream.SendWindow <= 0)
                    {
                        UnreadyLocked(stream); // WINDOW_UPDATE or SETTINGS puts it back
                        node = next;
                        continue;
                    }

                    return false; // the session window is closed: no stream may send DATA
                }

                var length = (int)Math.Max(0, size);
                var data = write.Data.Slice(write.Offset, length);
                write.Offset += length;
                if (Profile.HasFlowControl)
                {
                    stream.SendWindow -= length;
                }

                if (Profile.HasSessionFlowControl)
                {
                    _sessionSendWindow -= length;
                }

                PendingWrite? finished = null;
                var fin = false;
                if (write.Offset == write.Data.Length)
                {
                    stream.PendingWrites.Dequeue();
                    finished = write;
                    fin = write.Fin;
                }

                // Round-robin within the level: the stream goes to the back of its queue.
                UnreadyLocked(stream);
                if (stream.PendingWrites.Count > 0)
                {
                    ReadyLocked(stream);
                }

                if (fin)
                {
                    stream.FinSent = true;
                    MaybeCloseLocked(stream);
                }

                chunk = new DataChunk(stream.Id, data, fin, finished);
                return true;
            }
        }

        return false;
    }

    private async Task WriteLoopAsync()
    {
        var output = _transport.Output;
        var written = new List<TaskCompletionSource>();
        var finishedWrites = new List<PendingWrite>();
        var controls = new OutFrame[32];
        var chunks = new DataChunk[32];
        try
        {
            while (true)
            {
                var bytes = 0;
                var finished = false;
                while (bytes < FlushThreshold)
                {
                    // Several frames per lock acquisition: the request tasks queueing replies and the reader take the
                    // same lock, and a lock round per frame made the writer the most contended taker of it.
                    var controlCount = 0;
                    var chunkCount = 0;
                    lock (_lock)
                    {
                        DrainRepliesLocked();
                        while (controlCount < controls.Length && _control.TryDequeue(out controls[controlCount]))
                        {
                            if (controls[controlCount].PeerTriggered)
                            {
                                _queuedPeerTriggered--;
                            }

                            controlCount++;
                        }

                        if (!_outputShutdown && controlCount < controls.Length)
                        {
                            // DATA in the same lock round as the control frames (written after them, so a reply's
                            // SYN_REPLY still precedes its body): a small response costs one round, not two.
                            var budget = FlushThreshold - bytes;
                            while (chunkCount < chunks.Length && budget > 0 && TryPickDataLocked(out chunks[chunkCount]))
                            {
                                budget -= 8 + chunks[chunkCount].Data.Length;
                                chunkCount++;
                            }
                        }
                        else if (controlCount == 0 && _outputShutdown)
                        {
                            finished = true;
                        }
                    }

                    for (var i = 0; i < controlCount; i++)
                    {
                        bytes += WriteControl(output, controls[i]);
                        if (controls[i].Written is not null)
                        {
                            written.Add(controls[i].Written!);
                        }

                        // Replies and HEADERS only: a SYN_STREAM's list stays the stream's Headers for the stream's life.
                        if (controls[i].Kind is OutKind.SynReply or OutKind.Headers && controls[i].Headers is { ReturnsToSession: true } serialized)
                        {
                            ReturnHeaderList(serialized); // compressed into the output: nothing reads it any more
                        }

                        controls[i] = default; // drop the header list reference
                    }

                    if (controlCount == 0 && chunkCount == 0)
                    {
                        break;
                    }

                    for (var i = 0; i < chunkCount; i++)
                    {
                        var chunk = chunks[i];
                        chunks[i] = default;
                        _writer.WriteData(output, chunk.StreamId, chunk.Data.Span, chunk.Fin);
                        bytes += 8 + chunk.Data.Length;
                        Interlocked.Add(ref Counters.dataBytesSent, chunk.Data.Length);
                        Interlocked.Increment(ref Counters.framesSent);
                        if (_options.Trace is not null)
                        {
                            Trace($"-> DATA stream={chunk.StreamId} len={chunk.Data.Length}{(chunk.Fin ? " FIN" : string.Empty)}");
                        }

                        if (chunk.Finished is not null)
                        {
                            finishedWrites.Add(chunk.Finished);
                        }
                    }
                }

                if (bytes > 0)
                {
                    Interlocked.Add(ref Counters.bytesSent, bytes);
                    var result = await output.FlushAsync().ConfigureAwait(false);
                    foreach (var tcs in written)
                    {
                        tcs.TrySetResult();
                    }

                    foreach (var write in finishedWrites)
                    {
                        write.Finish();
                    }

                    written.Clear();
                    finishedWrites.Clear();
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        break;
                    }

                    continue;
                }

                if (finished)
                {
                    break;
                }

                await _writeSignal.WaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            Trace($"!! write failed: {e.Message}");
            lock (_lock)
            {
                _closeReason ??= new SpdySessionClosedException($"connection failed while writing: {e.Message}", e);
                _peerClosedConnection = true;
                if (!_closing)
                {
                    CloseAllLocked(new SpdySessionClosedException(_closeReason.Message, _closeReason));
                }
            }

            DrainAborts();
            _transport.Input.CancelPendingRead();
        }
        finally
        {
            foreach (var tcs in written)
            {
                tcs.TrySetResult();
            }

            try
            {
                await output.CompleteAsync().ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // already completed
            }
        }
    }

    /// <summary>Writes one control frame; returns its length on the wire.</summary>
    private int WriteControl(PipeWriter output, in OutFrame frame)
    {
        int length;
        switch (frame.Kind)
        {
            case OutKind.SynStream:
                length = _writer.WriteSynStream(output, frame.StreamId, frame.AssociatedStreamId, frame.Priority, frame.Flags, frame.Headers!);
                break;
            case OutKind.SynReply:
                length = _writer.WriteSynReply(output, frame.StreamId, (frame.Flags & SpdyFlags.Fin) != 0, frame.Headers!);
                break;
            case OutKind.Headers:
                length = _writer.WriteHeaders(output, frame.StreamId, (frame.Flags & SpdyFlags.Fin) != 0, frame.Headers!);
                break;
            case OutKind.RstStream:
                _writer.WriteRstStream(output, frame.StreamId, frame.Status);
                Interlocked.Increment(ref Counters.resetsSent);
                length = 16;
                break;
            case OutKind.Settings:
                _writer.WriteSettings(output, frame.Flags, frame.Settings);
                length = 12 + (8 * frame.Settings!.Length);
                break;
            case OutKind.Ping:
                _writer.WritePing(output, frame.PingId);
                length = 12;
                if (!frame.PeerTriggered)
                {
                    lock (_lock)
                    {
                        if (_pings.TryGetValue(frame.PingId, out var pending))
                        {
                            pending.Started = System.Diagnostics.Stopwatch.GetTimestamp(); // measure from the wire
                        }
                    }
                }

                break;
            case OutKind.GoAway:
                _writer.WriteGoAway(output, frame.StreamId, frame.GoAwayStatus);
                length = 8 + Profile.GoAwayLength;
                break;
            case OutKind.WindowUpdate:
                _writer.WriteWindowUpdate(output, frame.StreamId, frame.Delta);
                length = 16;
                break;
            default:
                throw new InvalidOperationException($"unknown output frame {frame.Kind}");
        }

        Interlocked.Increment(ref Counters.framesSent);
        if (_options.Trace is not null)
        {
            // Built only when tracing: a lambda capturing the frame would allocate on every control frame.
            _options.Trace(DescribeSent(frame));
        }

        return length;
    }

    private string DescribeSent(in OutFrame frame) => frame.Kind switch
    {
        OutKind.SynStream => $"-> SYN_STREAM stream={frame.StreamId} assoc={frame.AssociatedStreamId} pri={frame.Priority}{FlagText(frame.Flags, true)} [{frame.Headers}]",
        OutKind.SynReply => $"-> SYN_REPLY stream={frame.StreamId}{FlagText(frame.Flags, false)} [{frame.Headers}]",
        OutKind.Headers => $"-> HEADERS stream={frame.StreamId}{FlagText(frame.Flags, false)} [{frame.Headers}]",
        OutKind.RstStream => $"-> RST_STREAM stream={frame.StreamId} status={Profile.ToWireStatus(frame.Status)}",
        OutKind.Settings => $"-> SETTINGS [{string.Join(", ", frame.Settings!.Select(e => $"{e.Id}={e.Value}"))}]",
        OutKind.Ping => $"-> PING id={frame.PingId}",
        OutKind.GoAway => $"-> GOAWAY last-good={frame.StreamId} status={frame.GoAwayStatus}",
        OutKind.WindowUpdate => $"-> WINDOW_UPDATE stream={frame.StreamId} delta={frame.Delta}",
        _ => frame.Kind.ToString(),
    };

    private static string FlagText(byte flags, bool synStream) =>
        ((flags & SpdyFlags.Fin) != 0 ? " FIN" : string.Empty) + (synStream && (flags & SpdyFlags.Unidirectional) != 0 ? " UNIDIRECTIONAL" : string.Empty);

    private void Trace(Func<string> line)
    {
        if (_options.Trace is not null)
        {
            _options.Trace(line());
        }
    }
}
