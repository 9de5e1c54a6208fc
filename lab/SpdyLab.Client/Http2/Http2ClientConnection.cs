using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Threading.Channels;
using SpdyLab.Client.Http2.Hpack;

namespace SpdyLab.Client.Http2;

/// <summary>What the client announces and assumes; the defaults are Chromium's (net/spdy/spdy_session.cc, M120s).</summary>
public sealed class Http2ClientOptions
{
    /// <summary>SETTINGS_HEADER_TABLE_SIZE: Chromium offers a 64 KB decoder table.</summary>
    public uint HeaderTableSize { get; init; } = 65536;

    /// <summary>SETTINGS_ENABLE_PUSH: Chromium turned push off (M106).</summary>
    public bool EnablePush { get; init; }

    /// <summary>SETTINGS_INITIAL_WINDOW_SIZE: 6 MB per stream.</summary>
    public int InitialWindowSize { get; init; } = 6 * 1024 * 1024;

    /// <summary>SETTINGS_MAX_HEADER_LIST_SIZE: 256 KB.</summary>
    public uint MaxHeaderListSize { get; init; } = 256 * 1024;

    /// <summary>The connection receive window, raised from 65,535 by one WINDOW_UPDATE after SETTINGS: 15 MB.</summary>
    public int ConnectionWindowSize { get; init; } = 15 * 1024 * 1024;

    /// <summary>Streams allowed before the server's SETTINGS say otherwise (Chromium's kInitialMaxConcurrentStreams).</summary>
    public int InitialMaxConcurrentStreams { get; init; } = 100;
}

/// <summary>
/// The client side of one HTTP/2 connection (RFC 9113), shaped like the .NET runtime's Http2Connection:
/// one read loop owns the stream table's receive state and the HPACK decoder; one writer task owns the
/// output, the HPACK encoder and stream id assignment, so header blocks and stream ids go on the wire in
/// the order they were encoded (RFC 7541 §2.2, RFC 9113 §5.1.1). Requests beyond the server's
/// SETTINGS_MAX_CONCURRENT_STREAMS wait in a FIFO until a stream closes. Receive flow control gives
/// window back when half of it has been consumed, as Chromium does. A connection error sends GOAWAY and
/// fails every stream; a RST_STREAM fails only its stream; after the server's GOAWAY, streams above its
/// last stream id fail as retryable and no new stream starts.
/// </summary>
public sealed class Http2ClientConnection : IAsyncDisposable
{
    private const int OurMaxFrameSize = 16384; // RFC 9113 §6.5.2 default; Chromium does not announce another
    private const int MaxHeaderBlockBytes = 1024 * 1024; // bound on one HEADERS + CONTINUATION sequence

    private readonly Stream _transport;
    private readonly Http2ClientOptions _options;
    private readonly PipeReader _input;
    private readonly Channel<Action<ArrayBufferWriter<byte>>> _output = Channel.CreateUnbounded<Action<ArrayBufferWriter<byte>>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HpackEncoder _encoder = new();
    private readonly HpackDecoder _decoder;
    private readonly CancellationTokenSource _closing = new();
    private readonly object _sync = new();
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly Queue<Http2Stream> _waiting = new();
    private readonly HashSet<Http2Stream> _unwritten = [];
    private readonly Http2PriorityDependencies _dependencies = new();
    private readonly Task _readLoop;
    private readonly Task _writeLoop;
    private int _nextStreamId = 1;
    private int _active;
    private int _peerMaxConcurrentStreams;
    private volatile int _peerMaxFrameSize = 16384;
    private long _connectionReceiveWindow;
    private long _connectionUnacked;
    private int _goAwayLastStreamId = int.MaxValue;
    private Exception? _closedBecause;

    private Http2ClientConnection(Stream transport, Http2ClientOptions options)
    {
        _transport = transport;
        _options = options;
        _peerMaxConcurrentStreams = options.InitialMaxConcurrentStreams;
        _decoder = new HpackDecoder((int)options.HeaderTableSize, (int)options.MaxHeaderListSize);
        _input = PipeReader.Create(transport, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        // RFC 9113 §3.4: the preface, then SETTINGS (§6.5), then Chromium's connection WINDOW_UPDATE (§6.9.2:
        // the connection window starts at 65,535 whatever SETTINGS say), all in the first write.
        _connectionReceiveWindow = options.ConnectionWindowSize;
        Enqueue(output =>
        {
            output.Write(Http2FrameWriter.ClientPreface);
            Http2FrameWriter.WriteSettings(output,
            [
                (Http2SettingId.HeaderTableSize, options.HeaderTableSize),
                (Http2SettingId.EnablePush, options.EnablePush ? 1u : 0u),
                (Http2SettingId.InitialWindowSize, (uint)options.InitialWindowSize),
                (Http2SettingId.MaxHeaderListSize, options.MaxHeaderListSize),
            ]);
            if (options.ConnectionWindowSize > 65535)
            {
                Http2FrameWriter.WriteWindowUpdate(output, 0, options.ConnectionWindowSize - 65535);
            }
        });
        _writeLoop = Task.Run(WriteLoopAsync);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Starts the connection over an open transport (TCP, or TLS that negotiated "h2"); this takes ownership of it.</summary>
    public static Http2ClientConnection Start(Stream transport, Http2ClientOptions? options = null) => new(transport, options ?? new Http2ClientOptions());

    /// <summary>HPACK octets sent and received in header blocks, over all streams.</summary>
    public long HeaderBlockBytesSent { get; private set; }

    public long HeaderBlockBytesReceived { get; private set; }

    public int WindowUpdatesSent { get; private set; }

    public int StreamsOpened { get; private set; }

    /// <summary>The most streams that were open at once.</summary>
    public int MaxActiveStreams { get; private set; }

    /// <summary>The server's SETTINGS_MAX_CONCURRENT_STREAMS (or the initial assumption until it arrives).</summary>
    public int PeerMaxConcurrentStreams
    {
        get
        {
            lock (_sync)
            {
                return _peerMaxConcurrentStreams;
            }
        }
    }

    /// <summary>False once the server sent GOAWAY or the connection failed or closed: new requests need another connection.</summary>
    public bool CanOpenStreams
    {
        get
        {
            lock (_sync)
            {
                return _closedBecause is null && _goAwayLastStreamId == int.MaxValue;
            }
        }
    }

    /// <summary>
    /// Queues a request. The returned stream's <see cref="Http2Stream.ResponseHeadersReceived"/> and
    /// <see cref="Http2Stream.Completion"/> report the response; cancelling resets the stream (CANCEL).
    /// HEADERS go out in the order of calls.
    /// </summary>
    public Http2Stream Send(Http2Request request, CancellationToken cancellationToken)
    {
        var stream = new Http2Stream(request) { ReceiveWindow = _options.InitialWindowSize };
        lock (_sync)
        {
            if (_closedBecause is not null || _goAwayLastStreamId != int.MaxValue)
            {
                stream.Fail(new Http2StreamException(Http2ErrorCode.RefusedStream, "the connection is closing (GOAWAY received or connection failed); the request was not sent", retryable: true));
                return stream;
            }

            if (_active < _peerMaxConcurrentStreams)
            {
                StartLocked(stream);
            }
            else
            {
                _waiting.Enqueue(stream);
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => Cancel(stream, cancellationToken));
            stream.Completion.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }

        return stream;
    }

    private void StartLocked(Http2Stream stream)
    {
        _active++;
        MaxActiveStreams = Math.Max(MaxActiveStreams, _active);
        _unwritten.Add(stream);
        Enqueue(output => WriteRequestHeaders(output, stream));
    }

    /// <summary>Runs on the writer: assigns the stream id and encodes the header block, so both follow wire order.</summary>
    private void WriteRequestHeaders(ArrayBufferWriter<byte> output, Http2Stream stream)
    {
        Http2StreamPriority priority;
        lock (_sync)
        {
            if (!_unwritten.Remove(stream))
            {
                return; // cancelled, or failed by Close
            }

            if (_goAwayLastStreamId != int.MaxValue)
            {
                ReleaseLocked(stream);
                stream.Fail(new Http2StreamException(Http2ErrorCode.RefusedStream, "the server sent GOAWAY before the request went out", retryable: true));
                return;
            }

            stream.Id = _nextStreamId;
            _nextStreamId += 2;
            _streams[stream.Id] = stream;
            priority = _dependencies.OnStreamOpened(stream.Id, stream.SpdyPriority);
            StreamsOpened++;
        }

        var request = stream.Request;
        // RFC 9113 §8.3.1; Chromium's pseudo-header order is :method, :authority, :scheme, :path.
        var headers = new List<KeyValuePair<string, string>>(request.Headers.Count + 4)
        {
            new(":method", request.Method),
            new(":authority", request.Authority),
            new(":scheme", request.Scheme),
            new(":path", request.Path),
        };
        headers.AddRange(request.Headers.Select(h => new KeyValuePair<string, string>(h.Key.ToLowerInvariant(), h.Value)));
        var block = _encoder.Encode(headers);
        stream.SentHeaders = headers;
        stream.SentPriority = priority;
        stream.RequestHeaderBlockBytes = block.Length;
        HeaderBlockBytesSent += block.Length;
        Http2FrameWriter.WriteHeaders(output, stream.Id, block, endStream: true, priority, _peerMaxFrameSize);
    }

    private void Cancel(Http2Stream stream, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (stream.Completion.IsCompleted || stream.Cancelled)
            {
                return;
            }

            stream.Cancelled = true;
            if (stream.Id != 0 && _streams.Remove(stream.Id))
            {
                var id = stream.Id;
                Enqueue(output => Http2FrameWriter.WriteRstStream(output, id, Http2ErrorCode.Cancel));
                ReleaseLocked(stream);
            }
            else if (_unwritten.Remove(stream))
            {
                // Started but not yet written: the writer skips it; its slot is free now.
                ReleaseLocked(stream);
            }
        }

        stream.Fail(new OperationCanceledException(cancellationToken));
    }

    /// <summary>A stream is done: its concurrency slot goes to the next waiting request.</summary>
    private void ReleaseLocked(Http2Stream stream)
    {
        _active--;
        if (stream.Id != 0)
        {
            _dependencies.OnStreamClosed(stream.Id, stream.SpdyPriority);
        }

        StartWaitingLocked();
    }

    private void StartWaitingLocked()
    {
        while (_active < _peerMaxConcurrentStreams && _waiting.TryDequeue(out var next))
        {
            if (!next.Cancelled)
            {
                StartLocked(next);
            }
        }
    }

    private void Enqueue(Action<ArrayBufferWriter<byte>> write) => _output.Writer.TryWrite(write);

    private async Task WriteLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (await _output.Reader.WaitToReadAsync())
            {
                buffer.ResetWrittenCount();
                while (_output.Reader.TryRead(out var write))
                {
                    write(buffer);
                }

                if (buffer.WrittenCount > 0)
                {
                    await _transport.WriteAsync(buffer.WrittenMemory);
                    await _transport.FlushAsync();
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Close(new IOException($"HTTP/2 connection write failed: {e.Message}", e));
        }
    }

    private async Task ReadLoopAsync()
    {
        var continuation = new HeaderBlockAssembly();
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_closing.Token);
                var buffer = result.Buffer;
                while (Http2FrameReader.TryReadFrame(ref buffer, OurMaxFrameSize, out var header, out var payload))
                {
                    OnFrame(header, payload, continuation);
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    Close(new IOException(buffer.Length > 0 ? "the server closed the connection in the middle of a frame" : "the server closed the connection"));
                    return;
                }
            }
        }
        catch (Http2ConnectionException e)
        {
            lock (_sync)
            {
                // §5.4.1: GOAWAY with the error; a client accepts no server-initiated streams, so last stream id 0.
                Enqueue(output => Http2FrameWriter.WriteGoAway(output, 0, e.Error));
            }

            Close(e);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            Close(new ObjectDisposedException(nameof(Http2ClientConnection), "the connection was closed"));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Close(new IOException($"HTTP/2 connection read failed: {e.Message}", e));
        }
    }

    /// <summary>Frames of one header block in progress (HEADERS then CONTINUATION, RFC 9113 §6.10).</summary>
    private sealed class HeaderBlockAssembly
    {
        public int StreamId;
        public bool EndStream;
        public readonly MemoryStream Fragments = new();
    }

    private void OnFrame(Http2FrameHeader header, byte[] payload, HeaderBlockAssembly assembly)
    {
        // §6.10: a header block must be contiguous; anything else in between is a connection error.
        if (assembly.StreamId != 0 && (header.Type != Http2FrameType.Continuation || header.StreamId != assembly.StreamId))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header} arrived inside the header block of stream {assembly.StreamId} (RFC 9113 §6.10)");
        }

        switch (header.Type)
        {
            case Http2FrameType.Data:
                OnData(header, payload);
                break;
            case Http2FrameType.Headers:
                OnHeaders(header, payload, assembly);
                break;
            case Http2FrameType.Continuation:
                if (assembly.StreamId == 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header} without a HEADERS before it (RFC 9113 §6.10)");
                }

                AppendFragment(assembly, payload);
                if (header.Has(Http2Flags.EndHeaders))
                {
                    FinishHeaderBlock(assembly);
                }

                break;
            case Http2FrameType.Priority:
                // §6.3: deprecated; a client has nothing to do with the server's view of priorities.
                RequireStream(header);
                break;
            case Http2FrameType.RstStream:
                OnRstStream(header, payload);
                break;
            case Http2FrameType.Settings:
                OnSettings(header, payload);
                break;
            case Http2FrameType.PushPromise:
                // §8.4: we announced SETTINGS_ENABLE_PUSH 0, so a PUSH_PROMISE is a connection error.
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header}: push is disabled (SETTINGS_ENABLE_PUSH 0) (RFC 9113 §8.4)");
            case Http2FrameType.Ping:
                OnPing(header, payload);
                break;
            case Http2FrameType.GoAway:
                OnGoAway(header, payload);
                break;
            case Http2FrameType.WindowUpdate:
                OnWindowUpdate(header, payload);
                break;
            default:
                // §4.1, §5.5: frames of unknown types are ignored.
                break;
        }
    }

    private static void RequireStream(Http2FrameHeader header)
    {
        if (header.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header} on stream 0 (RFC 9113 §6)");
        }
    }

    private static void RequireConnection(Http2FrameHeader header)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header} on a stream; it belongs to stream 0 (RFC 9113 §6)");
        }
    }

    /// <summary>§6.1, §6.2: strips the Pad Length octet and the padding of a PADDED frame.</summary>
    private static ReadOnlySpan<byte> Unpad(Http2FrameHeader header, byte[] payload)
    {
        if (!header.Has(Http2Flags.Padded))
        {
            return payload;
        }

        if (payload.Length < 1 || payload[0] >= payload.Length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header}: padding of {(payload.Length < 1 ? 0 : payload[0])} octets does not fit the payload (RFC 9113 §6.1)");
        }

        return payload.AsSpan(1, payload.Length - 1 - payload[0]);
    }

    /// <summary>
    /// §6.1 DATA. The whole payload, padding included, counts against both receive windows (§6.9.1). Window is
    /// given back when more than half of it has been consumed since the last WINDOW_UPDATE, as Chromium does
    /// (SpdySession::IncreaseRecvWindowSize, SpdyStream::IncreaseRecvWindowSize); the body is consumed on arrival.
    /// </summary>
    private void OnData(Http2FrameHeader header, byte[] payload)
    {
        RequireStream(header);
        var data = Unpad(header, payload);
        Http2Stream? stream;
        lock (_sync)
        {
            _connectionReceiveWindow -= payload.Length;
            if (_connectionReceiveWindow < 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"{header}: the server sent more than the connection window allows (RFC 9113 §6.9.1)");
            }

            _connectionUnacked += payload.Length;
            if (_connectionUnacked > _options.ConnectionWindowSize / 2)
            {
                var increment = (int)_connectionUnacked;
                _connectionReceiveWindow += increment;
                _connectionUnacked = 0;
                WindowUpdatesSent++;
                Enqueue(output => Http2FrameWriter.WriteWindowUpdate(output, 0, increment));
            }

            if (header.StreamId >= _nextStreamId || header.StreamId % 2 == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header}: DATA on a stream we never opened (RFC 9113 §5.1)");
            }

            // A stream we reset or that already ended: the connection window counted it; nothing else to do (§6.4).
            if (!_streams.TryGetValue(header.StreamId, out stream))
            {
                return;
            }
        }

        if (!stream.HasHead)
        {
            ResetStream(stream, Http2ErrorCode.ProtocolError, $"stream {stream.Id}: DATA before the response HEADERS (RFC 9113 §8.1)");
            return;
        }

        stream.ReceiveWindow -= payload.Length;
        if (stream.ReceiveWindow < 0)
        {
            ResetStream(stream, Http2ErrorCode.FlowControlError, $"stream {stream.Id}: the server sent more than the stream window allows (RFC 9113 §6.9.1)");
            return;
        }

        stream.DataBytesOnWire += Http2FrameHeader.Size + payload.Length;
        stream.AppendData(data);
        if (header.Has(Http2Flags.EndStream))
        {
            EndStream(stream);
            return;
        }

        stream.UnackedBytes += payload.Length;
        if (stream.UnackedBytes > _options.InitialWindowSize / 2)
        {
            var increment = (int)stream.UnackedBytes;
            stream.ReceiveWindow += increment;
            stream.UnackedBytes = 0;
            var id = stream.Id;
            lock (_sync)
            {
                WindowUpdatesSent++;
                Enqueue(output => Http2FrameWriter.WriteWindowUpdate(output, id, increment));
            }
        }
    }

    /// <summary>
    /// §6.2 HEADERS:
    /// <code>
    /// +---------------+
    /// |Pad Length? (8)|
    /// +-+-------------+-----------------------------------------------+
    /// |E|                 Stream Dependency? (31)                     |
    /// +-+-------------+-----------------------------------------------+
    /// |  Weight? (8)  |
    /// +-+-------------+-----------------------------------------------+
    /// |                   Field Block Fragment (*)                    |
    /// +---------------------------------------------------------------+
    /// |                           Padding (*)                         |
    /// </code>
    /// </summary>
    private void OnHeaders(Http2FrameHeader header, byte[] payload, HeaderBlockAssembly assembly)
    {
        RequireStream(header);
        var fragment = Unpad(header, payload);
        if (header.Has(Http2Flags.Priority))
        {
            if (fragment.Length < 5)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header}: too short for its priority fields (RFC 9113 §6.2)");
            }

            fragment = fragment[5..];
        }

        assembly.StreamId = header.StreamId;
        assembly.EndStream = header.Has(Http2Flags.EndStream);
        assembly.Fragments.SetLength(0);
        AppendFragment(assembly, fragment);
        if (header.Has(Http2Flags.EndHeaders))
        {
            FinishHeaderBlock(assembly);
        }
    }

    private static void AppendFragment(HeaderBlockAssembly assembly, ReadOnlySpan<byte> fragment)
    {
        if (assembly.Fragments.Length + fragment.Length > MaxHeaderBlockBytes)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"header block of stream {assembly.StreamId} exceeds {MaxHeaderBlockBytes} octets");
        }

        assembly.Fragments.Write(fragment);
    }

    private void FinishHeaderBlock(HeaderBlockAssembly assembly)
    {
        var streamId = assembly.StreamId;
        var endStream = assembly.EndStream;
        var block = assembly.Fragments.GetBuffer().AsSpan(0, (int)assembly.Fragments.Length);
        assembly.StreamId = 0;
        List<KeyValuePair<string, string>> fields;
        try
        {
            // Decoded even for a stream we no longer track: the HPACK state is the connection's (RFC 9113 §4.3).
            fields = _decoder.Decode(block);
        }
        catch (HpackDecodingException e)
        {
            throw new Http2ConnectionException(Http2ErrorCode.CompressionError, $"stream {streamId}: {e.Message}");
        }

        Http2Stream? stream;
        lock (_sync)
        {
            HeaderBlockBytesReceived += block.Length;
            if (streamId >= _nextStreamId || streamId % 2 == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"HEADERS on stream {streamId}, which we never opened (RFC 9113 §5.1)");
            }

            if (!_streams.TryGetValue(streamId, out stream))
            {
                return;
            }
        }

        stream.ResponseHeaderBlockBytes += block.Length;
        if (stream.HasHead)
        {
            // §8.1: a second block after the final head is trailers and must end the stream.
            if (!endStream)
            {
                ResetStream(stream, Http2ErrorCode.ProtocolError, $"stream {stream.Id}: trailers without END_STREAM (RFC 9113 §8.1)");
                return;
            }

            stream.SetTrailers(fields.Where(f => !f.Key.StartsWith(':')).ToList());
            EndStream(stream);
            return;
        }

        var statusText = fields.FirstOrDefault(f => f.Key == ":status").Value;
        if (statusText is null || !int.TryParse(statusText, out var status) || status < 100 || status > 999)
        {
            ResetStream(stream, Http2ErrorCode.ProtocolError, $"stream {stream.Id}: response without a valid :status ({statusText ?? "none"}) (RFC 9113 §8.3.2)");
            return;
        }

        if (status < 200)
        {
            // §8.1: informational responses (1xx) come before the final one.
            return;
        }

        stream.SetHead(status, fields.Where(f => !f.Key.StartsWith(':')).ToList());
        if (endStream)
        {
            EndStream(stream);
        }
    }

    private void EndStream(Http2Stream stream)
    {
        lock (_sync)
        {
            if (!_streams.Remove(stream.Id))
            {
                return;
            }

            ReleaseLocked(stream);
            CloseIfDrainedLocked();
        }

        stream.Complete();
    }

    /// <summary>A stream error (§5.4.2): RST_STREAM to the server, the stream fails, the connection reads on.</summary>
    private void ResetStream(Http2Stream stream, Http2ErrorCode error, string message)
    {
        lock (_sync)
        {
            if (!_streams.Remove(stream.Id))
            {
                return;
            }

            var id = stream.Id;
            Enqueue(output => Http2FrameWriter.WriteRstStream(output, id, error));
            ReleaseLocked(stream);
            CloseIfDrainedLocked();
        }

        stream.Fail(new Http2StreamException(error, message));
    }

    /// <summary>§6.4 RST_STREAM: Error Code (32). Only that stream fails.</summary>
    private void OnRstStream(Http2FrameHeader header, byte[] payload)
    {
        RequireStream(header);
        if (payload.Length != 4)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header}: RST_STREAM must be 4 octets (RFC 9113 §6.4)");
        }

        var error = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload);
        Http2Stream? stream;
        lock (_sync)
        {
            if (header.StreamId >= _nextStreamId || header.StreamId % 2 == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header}: RST_STREAM on a stream we never opened (RFC 9113 §6.4)");
            }

            if (!_streams.Remove(header.StreamId, out stream))
            {
                return;
            }

            ReleaseLocked(stream);
            CloseIfDrainedLocked();
        }

        // §8.7: REFUSED_STREAM means the server did not process the request; it can be sent again.
        stream.Fail(new Http2StreamException(error, $"the server reset stream {header.StreamId} (RST_STREAM {error})", retryable: error == Http2ErrorCode.RefusedStream));
    }

    /// <summary>§6.5 SETTINGS: (Identifier (16), Value (32)) pairs; acknowledged once applied (§6.5.3).</summary>
    private void OnSettings(Http2FrameHeader header, byte[] payload)
    {
        RequireConnection(header);
        if (header.Has(Http2Flags.Ack))
        {
            if (payload.Length != 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header}: a SETTINGS ACK must be empty (RFC 9113 §6.5)");
            }

            return;
        }

        if (payload.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header}: SETTINGS length is not a multiple of 6 (RFC 9113 §6.5)");
        }

        int? headerTableSize = null;
        lock (_sync)
        {
            for (var offset = 0; offset < payload.Length; offset += 6)
            {
                var id = (Http2SettingId)BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(offset));
                var value = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(offset + 2));
                switch (id)
                {
                    case Http2SettingId.HeaderTableSize:
                        headerTableSize = (int)Math.Min(value, int.MaxValue);
                        break;
                    case Http2SettingId.EnablePush when value > 1:
                        throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_ENABLE_PUSH {value} is not 0 or 1 (RFC 9113 §6.5.2)");
                    case Http2SettingId.MaxConcurrentStreams:
                        _peerMaxConcurrentStreams = (int)Math.Min(value, int.MaxValue);
                        break;
                    case Http2SettingId.InitialWindowSize when value > int.MaxValue:
                        throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"SETTINGS_INITIAL_WINDOW_SIZE {value} exceeds 2^31-1 (RFC 9113 §6.5.2)");
                    case Http2SettingId.MaxFrameSize when value < 16384 || value > 16777215:
                        throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} is outside 16384..16777215 (RFC 9113 §6.5.2)");
                    case Http2SettingId.MaxFrameSize:
                        _peerMaxFrameSize = (int)value;
                        break;
                    default:
                        // INITIAL_WINDOW_SIZE governs what we send (no request bodies here); MAX_HEADER_LIST_SIZE is
                        // advisory (§6.5.2); unknown settings are ignored.
                        break;
                }
            }

            StartWaitingLocked();
            // The encoder follows the new table size from the next header block on, which the writer encodes
            // after this ACK (RFC 7541 §4.2).
            Enqueue(output =>
            {
                if (headerTableSize is { } size)
                {
                    _encoder.SetMaxTableSize(size);
                }

                Http2FrameWriter.WriteSettingsAck(output);
            });
        }
    }

    /// <summary>§6.7 PING: answered with the same 8 octets and ACK.</summary>
    private void OnPing(Http2FrameHeader header, byte[] payload)
    {
        RequireConnection(header);
        if (payload.Length != 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header}: PING must be 8 octets (RFC 9113 §6.7)");
        }

        if (!header.Has(Http2Flags.Ack))
        {
            Enqueue(output => Http2FrameWriter.WritePing(output, Http2Flags.Ack, payload));
        }
    }

    /// <summary>
    /// §6.8 GOAWAY: R (1), Last-Stream-ID (31), Error Code (32), debug data. Streams above the last id were
    /// not processed (§6.8) and fail as retryable; the others run to completion, then the connection closes.
    /// </summary>
    private void OnGoAway(Http2FrameHeader header, byte[] payload)
    {
        RequireConnection(header);
        if (payload.Length < 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header}: GOAWAY shorter than 8 octets (RFC 9113 §6.8)");
        }

        var lastStreamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF);
        var error = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4));
        var refused = new List<Http2Stream>();
        lock (_sync)
        {
            _goAwayLastStreamId = Math.Min(_goAwayLastStreamId, lastStreamId);
            foreach (var stream in _streams.Values.Where(s => s.Id > lastStreamId).ToList())
            {
                _streams.Remove(stream.Id);
                ReleaseLocked(stream);
                refused.Add(stream);
            }

            while (_waiting.TryDequeue(out var waiting))
            {
                refused.Add(waiting);
            }

            CloseIfDrainedLocked();
        }

        foreach (var stream in refused)
        {
            stream.Fail(new Http2StreamException(Http2ErrorCode.RefusedStream, $"the server sent GOAWAY ({error}, last stream {lastStreamId}) before processing stream {(stream.Id == 0 ? "(not yet opened)" : stream.Id)}", retryable: true));
        }
    }

    /// <summary>§6.9 WINDOW_UPDATE: we send no DATA, so only its validity matters.</summary>
    private void OnWindowUpdate(Http2FrameHeader header, byte[] payload)
    {
        if (payload.Length != 4)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header}: WINDOW_UPDATE must be 4 octets (RFC 9113 §6.9)");
        }

        var increment = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF;
        if (increment == 0)
        {
            if (header.StreamId == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "WINDOW_UPDATE with increment 0 on the connection (RFC 9113 §6.9)");
            }

            Http2Stream? stream;
            lock (_sync)
            {
                _streams.TryGetValue(header.StreamId, out stream);
            }

            if (stream is not null)
            {
                ResetStream(stream, Http2ErrorCode.ProtocolError, $"stream {stream.Id}: WINDOW_UPDATE with increment 0 (RFC 9113 §6.9)");
            }
        }
    }

    /// <summary>After GOAWAY, the connection closes once its last processed stream has ended.</summary>
    private void CloseIfDrainedLocked()
    {
        if (_goAwayLastStreamId != int.MaxValue && _streams.Count == 0 && _closedBecause is null)
        {
            _closedBecause = new IOException("the server sent GOAWAY and every stream it processed has ended");
            _output.Writer.TryComplete();
            _closing.Cancel();
        }
    }

    /// <summary>Ends the connection: every stream still open or waiting fails with <paramref name="reason"/>.</summary>
    private void Close(Exception reason)
    {
        List<Http2Stream> failed;
        lock (_sync)
        {
            _closedBecause ??= reason;
            failed = _streams.Values.Concat(_waiting).Concat(_unwritten).ToList();
            _streams.Clear();
            _unwritten.Clear();
            _waiting.Clear();
            _active = 0;
            _output.Writer.TryComplete();
        }

        foreach (var stream in failed)
        {
            stream.Fail(reason is Http2ConnectionException connection
                ? new Http2StreamException(connection.Error, $"connection error: {connection.Message}")
                : new IOException($"stream {stream.Id}: {reason.Message}", reason));
        }
    }

    [SuppressMessage("Design", "CA1031", Justification = "closing: errors no longer matter")]
    public async ValueTask DisposeAsync()
    {
        lock (_sync)
        {
            if (_closedBecause is null)
            {
                // §6.8: a graceful close; we accept no server-initiated streams, so the last stream id is 0.
                Enqueue(output => Http2FrameWriter.WriteGoAway(output, 0, Http2ErrorCode.NoError));
            }
        }

        Close(new ObjectDisposedException(nameof(Http2ClientConnection), "the connection was closed"));
        await _writeLoop.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _closing.CancelAsync();
        await _readLoop.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await _transport.DisposeAsync();
        }
        catch (Exception)
        {
        }

        await _input.CompleteAsync();
        _closing.Dispose();
    }
}
