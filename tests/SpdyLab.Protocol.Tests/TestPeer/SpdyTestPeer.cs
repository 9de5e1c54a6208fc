using System.Buffers;
using System.IO.Pipelines;

namespace SpdyLab.Protocol.Tests.TestPeer;

internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}

/// <summary>
/// The other end of a session under test: sends frames built by <see cref="PeerFrames"/> and parses what the
/// session writes, with its own zlib contexts. Connected over an in-memory <see cref="Pipe"/> pair.
/// </summary>
internal sealed class SpdyTestPeer : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly Pipe _toSession;
    private readonly Pipe _fromSession;
    private readonly PeerZlib _zlib;

    public SpdyTestPeer(SpdyVersion version, long sessionOutputPause = 65536)
    {
        Version = version;
        _toSession = new Pipe(new PipeOptions(useSynchronizationContext: false));
        _fromSession = new Pipe(new PipeOptions(pauseWriterThreshold: sessionOutputPause, resumeWriterThreshold: sessionOutputPause / 2, useSynchronizationContext: false));
        SessionTransport = new DuplexPipe(_toSession.Reader, _fromSession.Writer);
        _zlib = new PeerZlib(PeerZlib.LoadDictionary(version));
    }

    public SpdyVersion Version { get; }

    /// <summary>The pipe pair end to give to the SpdySession.</summary>
    public IDuplexPipe SessionTransport { get; }

    /// <summary>Frames read while waiting for another one.</summary>
    public List<PeerFrame> Seen { get; } = new();

    public byte[] Block(params (string Name, string Value)[] pairs) => _zlib.Compress(PeerFrames.NvBlock(Version, pairs));

    public byte[] CompressRaw(byte[] nvBlock) => _zlib.Compress(nvBlock);

    /// <summary>A request header set for this version.</summary>
    public (string, string)[] Request(string path = "/", string method = "GET") => Version == SpdyVersion.Spdy2
        ? [("method", method), ("url", path), ("version", "HTTP/1.1"), ("host", "example.test"), ("scheme", "https")]
        : [(":method", method), (":path", path), (":version", "HTTP/1.1"), (":host", "example.test"), (":scheme", "https")];

    public (string, string)[] Response(string status = "200 OK") => Version == SpdyVersion.Spdy2
        ? [("status", status), ("version", "HTTP/1.1")]
        : [(":status", status), (":version", "HTTP/1.1")];

    public string StatusName => Version == SpdyVersion.Spdy2 ? "status" : ":status";

    public string PathName => Version == SpdyVersion.Spdy2 ? "url" : ":path";

    public async Task SendAsync(params byte[][] frames)
    {
        foreach (var frame in frames)
        {
            await _toSession.Writer.WriteAsync(frame);
        }
    }

    public void CloseOutput() => _toSession.Writer.Complete();

    /// <summary>Stops reading what the session writes (its writes then complete at once).</summary>
    public void StopReading() => _fromSession.Reader.Complete();

    /// <summary>The next frame the session wrote, or null when the session closed its output.</summary>
    public async Task<PeerFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var reader = _fromSession.Reader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("the session wrote no frame in time");
            }

            var buffer = result.Buffer;
            if (buffer.Length >= 8)
            {
                var header = buffer.Slice(0, 8).ToArray();
                var length = (header[5] << 16) | (header[6] << 8) | header[7];
                if (buffer.Length >= 8 + length)
                {
                    var payload = buffer.Slice(8, length).ToArray();
                    reader.AdvanceTo(buffer.GetPosition(8 + length));
                    return Parse(header, payload);
                }
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private PeerFrame Parse(byte[] header, byte[] payload)
    {
        var isControl = (header[0] & 0x80) != 0;
        var flags = header[4];
        if (!isControl)
        {
            var id = ((header[0] & 0x7F) << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
            return new PeerFrame(false, 0, 0, flags, id, payload);
        }

        var version = ((header[0] & 0x7F) << 8) | header[1];
        var type = (header[2] << 8) | header[3];
        var streamId = type is 1 or 2 or 3 or 8 or 9 ? ((payload[0] & 0x7F) << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3] : 0;
        var frame = new PeerFrame(true, version, type, flags, streamId, payload);
        var blockOffset = type switch
        {
            PeerFrame.SynStream => 10,
            PeerFrame.SynReply or PeerFrame.Headers => Version == SpdyVersion.Spdy2 ? 6 : 4,
            _ => -1,
        };
        if (blockOffset >= 0)
        {
            frame.Headers_ = PeerFrames.ParseNv(Version, _zlib.Decompress(payload[blockOffset..]));
        }

        return frame;
    }

    /// <summary>Reads frames until one matches; the others are kept in <see cref="Seen"/>.</summary>
    public async Task<PeerFrame> ExpectAsync(Func<PeerFrame, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new AssertionException($"expected {what}; saw: {string.Join("; ", Seen)}");
            }

            PeerFrame? frame;
            try
            {
                frame = await ReadFrameAsync(left);
            }
            catch (TimeoutException)
            {
                throw new AssertionException($"expected {what} within the timeout; saw: {string.Join("; ", Seen)}");
            }

            if (frame is null)
            {
                throw new AssertionException($"expected {what}, but the session closed; saw: {string.Join("; ", Seen)}");
            }

            if (match(frame))
            {
                return frame;
            }

            Seen.Add(frame);
        }
    }

    public async Task<PeerFrame> ExpectRstAsync(int streamId, RstStatus status)
    {
        var frame = await ExpectAsync(f => f.IsControl && f.Type == PeerFrame.RstStream && f.StreamId == streamId, $"RST_STREAM {streamId} {status}");
        Assert.That((RstStatus)frame.RstStatus, Is.EqualTo(status), $"RST_STREAM {streamId} status");
        return frame;
    }

    public async Task<PeerFrame> ExpectGoAwayAsync(GoAwayStatus status)
    {
        var frame = await ExpectAsync(f => f.IsControl && f.Type == PeerFrame.GoAway, $"GOAWAY {status}");
        if (Version != SpdyVersion.Spdy2)
        {
            Assert.That((GoAwayStatus)frame.GoAwayStatus, Is.EqualTo(status), "GOAWAY status");
        }

        return frame;
    }

    /// <summary>Reads until the session closes its output; returns the frames read.</summary>
    public async Task<List<PeerFrame>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var frames = new List<PeerFrame>();
        while (await ReadFrameAsync(timeout) is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    public ValueTask DisposeAsync()
    {
        _toSession.Writer.Complete();
        _fromSession.Reader.Complete();
        _zlib.Dispose();
        GC.KeepAlive(this);
        return ValueTask.CompletedTask;
    }
}
