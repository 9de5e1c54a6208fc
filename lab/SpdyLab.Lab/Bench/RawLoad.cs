using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SpdyLab.Lab.Bench;

/// <summary>The protocols the raw-frame load generator speaks (cleartext, prior knowledge).</summary>
public enum RawProtocol
{
    Spdy31,
    Http2,
}

/// <summary>One raw-frame load run: C connections x S streams asking for one path, for a warm-up and a measured window.</summary>
internal sealed class RawLoadSettings
{
    public required RawProtocol Protocol { get; init; }

    public required IPEndPoint EndPoint { get; init; }

    public required string Path { get; init; }

    /// <summary>Body bytes every response must carry; a response with another count (or a reset) is bad.</summary>
    public required int ExpectedBodyLength { get; init; }

    public required BenchLoad Load { get; init; }

    /// <summary>Stopwatch timestamp the warm-up starts from (0: when <see cref="RawLoad.Run"/> is called).</summary>
    public long StartTimestamp { get; init; }

    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(0.5);

    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>After the window no new request is sent; the ones in flight get this long to finish.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// What a raw-frame run saw. Window* figures count responses completed inside the measured window; Total*
/// count the whole run (warm-up and drain too), so they can be compared with what the server served.
/// </summary>
internal sealed record RawLoadResult(
    long WindowOk,
    long WindowBad,
    long Errors,
    long TotalRequestsSent,
    long TotalResponses,
    long TotalBad,
    long TotalBodyBytes,
    double WindowSeconds,
    long[] SortedLatencyTicks,
    double GeneratorCpuSeconds,
    string? Note);

/// <summary>
/// A lean load generator that speaks SPDY/3.1 and HTTP/2 at the frame level with the same design for both, so
/// that the ratio of two servers' request rates measures the servers, not two client libraries of different
/// maturity. One dedicated thread per connection with a blocking socket: send the first S requests, then loop
/// { receive; walk the complete frames; for each finished response send the next request; top up the
/// connection window } and batch everything written in one loop into one send. Requests are pre-built where
/// the protocol allows (HTTP/2: a fixed HPACK block of static-table references and literals without
/// indexing; SPDY: the name/value block is fixed and goes through the session's zlib context, one
/// SYNC_FLUSHed block per SYN_STREAM, until the compressed bytes repeat; from then on they are replayed, see
/// RawSpdyConnection). Responses are not decoded: the generator counts DATA payload bytes per
/// stream and looks for the end of the stream, resets and GOAWAY; a response is good when its stream ends
/// with exactly the expected number of body bytes. Stream windows are opened wide at the start (SETTINGS
/// INITIAL_WINDOW_SIZE) and the connection window is topped up as DATA arrives, the same for both.
/// </summary>
internal static class RawLoad
{
    /// <summary>Both protocols ask the peer for this stream window: no stream ever waits for a WINDOW_UPDATE.</summary>
    public const int StreamWindow = 1 << 30;

    /// <summary>The connection (session) window is opened to this and topped up once this much is used.</summary>
    public const int ConnectionWindow = 1 << 30;

    public static RawLoadResult Run(RawLoadSettings settings, CancellationToken cancellationToken)
    {
        var start = settings.StartTimestamp != 0 ? settings.StartTimestamp : Stopwatch.GetTimestamp();
        var measureStart = start + (long)(settings.WarmUp.TotalSeconds * Stopwatch.Frequency);
        var end = measureStart + (long)(settings.Window.TotalSeconds * Stopwatch.Frequency);
        var drainEnd = end + (long)(settings.Drain.TotalSeconds * Stopwatch.Frequency);

        var connections = new RawConnection[settings.Load.Connections];
        for (var i = 0; i < connections.Length; i++)
        {
            connections[i] = settings.Protocol switch
            {
                RawProtocol.Spdy31 => new RawSpdyConnection(settings, measureStart, end, drainEnd),
                RawProtocol.Http2 => new RawHttp2Connection(settings, measureStart, end, drainEnd),
                _ => throw new ArgumentOutOfRangeException(nameof(settings)),
            };
        }

        var threads = connections.Select((connection, i) => new Thread(() => connection.Run(cancellationToken))
        {
            IsBackground = true,
            Name = $"rawload-{i}",
        }).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }
        foreach (var thread in threads)
        {
            thread.Join();
        }
        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        var latencies = connections.SelectMany(c => c.Latencies).ToArray();
        Array.Sort(latencies);
        return new RawLoadResult(
            connections.Sum(c => c.WindowOk),
            connections.Sum(c => c.WindowBad),
            connections.Sum(c => c.Errors),
            connections.Sum(c => c.Sent),
            connections.Sum(c => c.Responses),
            connections.Sum(c => c.Bad),
            connections.Sum(c => c.BodyBytes),
            settings.Window.TotalSeconds,
            latencies,
            connections.Sum(c => c.CpuInWindow),
            connections.Select(c => c.Problem).FirstOrDefault(p => p is not null));
    }
}

/// <summary>The loop shared by both protocols; a subclass writes requests and walks frames.</summary>
internal abstract class RawConnection : IDisposable
{
    private readonly RawLoadSettings _settings;
    private readonly long _measureStart;
    private readonly long _end;
    private readonly long _drainEnd;
    private readonly Dictionary<int, int> _slotOfStream = [];
    private readonly int[] _streamOfSlot;
    private readonly long[] _startOfSlot;
    private readonly int[] _bodyOfSlot;
    private readonly Stack<int> _freeSlots = new();
    private byte[] _in = new byte[256 * 1024];
    private long _unackedConnectionBytes;
    private bool _stopped;

    protected RawConnection(RawLoadSettings settings, long measureStart, long end, long drainEnd)
    {
        _settings = settings;
        _measureStart = measureStart;
        _end = end;
        _drainEnd = drainEnd;
        _streamOfSlot = new int[settings.Load.Streams];
        _startOfSlot = new long[settings.Load.Streams];
        _bodyOfSlot = new int[settings.Load.Streams];
    }

    /// <summary>Bytes to send at the end of this loop turn (requests, window updates, PING and SETTINGS acknowledgements).</summary>
    protected RawOutput Out { get; } = new();

    public List<long> Latencies { get; } = new(64 * 1024);

    public long WindowOk { get; private set; }

    public long WindowBad { get; private set; }

    public long Errors { get; private set; }

    public long Sent { get; private set; }

    public long Responses { get; private set; }

    /// <summary>Responses (whole run) that ended with another body length than expected.</summary>
    public long Bad { get; private set; }

    public long BodyBytes { get; private set; }

    public double CpuInWindow { get; private set; }

    public string? Problem { get; private set; }

    public virtual void Dispose()
    {
    }

    /// <summary>Client-initiated stream ids are odd and increase (spdy3.1 §2.3.2; RFC 9113 §5.1.1).</summary>
    private int _nextStreamId = 1;

    public void Run(CancellationToken cancellationToken)
    {
        double cpuAtStart = double.NaN, cpuAtEnd = double.NaN;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.ReceiveTimeout = 10_000;
            socket.SendTimeout = 10_000;
            socket.Connect(_settings.EndPoint);
            WritePreface();
            for (var slot = _settings.Load.Streams - 1; slot >= 0; slot--)
            {
                _freeSlots.Push(slot);
            }
            IssueRequests(Stopwatch.GetTimestamp());
            Flush(socket);

            var filled = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (filled == _in.Length)
                {
                    Array.Resize(ref _in, _in.Length * 2);
                }
                var read = socket.Receive(_in, filled, _in.Length - filled, SocketFlags.None);
                if (read == 0)
                {
                    if (_slotOfStream.Count > 0)
                    {
                        Fail($"the server closed the connection with {_slotOfStream.Count} responses in flight");
                    }
                    break;
                }
                filled += read;

                var consumed = 0;
                while (true)
                {
                    var frame = FrameLength(_in.AsSpan(consumed, filled - consumed));
                    if (frame == 0 || frame > filled - consumed)
                    {
                        break;
                    }
                    OnFrame(_in.AsSpan(consumed, frame));
                    consumed += frame;
                }
                if (consumed > 0)
                {
                    _in.AsSpan(consumed, filled - consumed).CopyTo(_in);
                    filled -= consumed;
                }

                var now = Stopwatch.GetTimestamp();
                if (double.IsNaN(cpuAtStart) && now >= _measureStart)
                {
                    cpuAtStart = ThreadCpu.Seconds();
                }
                if (double.IsNaN(cpuAtEnd) && now >= _end)
                {
                    cpuAtEnd = ThreadCpu.Seconds();
                }
                if (_stopped || now >= _drainEnd)
                {
                    if (_slotOfStream.Count > 0 && !_stopped)
                    {
                        Fail($"{_slotOfStream.Count} responses still in flight {_settings.Drain.TotalSeconds:F0} s after the window");
                    }
                    break;
                }
                IssueRequests(now);
                if (_unackedConnectionBytes >= RawLoad.ConnectionWindow / 2)
                {
                    WriteConnectionWindowUpdate((int)_unackedConnectionBytes);
                    _unackedConnectionBytes = 0;
                }
                Flush(socket);
                if (now >= _end && _slotOfStream.Count == 0)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            Fail($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            var now = ThreadCpu.Seconds();
            CpuInWindow = (double.IsNaN(cpuAtEnd) ? now : cpuAtEnd) - (double.IsNaN(cpuAtStart) ? now : cpuAtStart);
        }
    }

    private void Fail(string problem)
    {
        Errors++;
        Problem ??= problem;
    }

    /// <summary>Fills every free slot with a new request, unless the window is over.</summary>
    private void IssueRequests(long now)
    {
        if (now >= _end)
        {
            return;
        }
        while (_freeSlots.TryPop(out var slot))
        {
            var id = _nextStreamId;
            _nextStreamId += 2;
            WriteRequest(id);
            _slotOfStream[id] = slot;
            _streamOfSlot[slot] = id;
            _startOfSlot[slot] = now;
            _bodyOfSlot[slot] = 0;
            Sent++;
        }
    }

    private void Flush(Socket socket)
    {
        if (Out.Length > 0)
        {
            var sent = 0;
            while (sent < Out.Length)
            {
                sent += socket.Send(Out.Buffer, sent, Out.Length - sent, SocketFlags.None);
            }
            Out.Clear();
        }
    }

    /// <summary>The whole frame's length (header included) if the frame header is complete, else 0.</summary>
    protected abstract int FrameLength(ReadOnlySpan<byte> buffered);

    /// <summary>One complete frame.</summary>
    protected abstract void OnFrame(ReadOnlySpan<byte> frame);

    protected abstract void WritePreface();

    protected abstract void WriteRequest(int streamId);

    protected abstract void WriteConnectionWindowUpdate(int delta);

    /// <summary>DATA payload for a stream: counts toward its body and the connection window.</summary>
    protected void OnData(int streamId, int bodyBytes, int flowControlled, bool endOfStream)
    {
        _unackedConnectionBytes += flowControlled;
        BodyBytes += bodyBytes;
        if (_slotOfStream.TryGetValue(streamId, out var slot))
        {
            _bodyOfSlot[slot] += bodyBytes;
        }
        else if (bodyBytes > 0)
        {
            Fail($"DATA on stream {streamId}, which is not open");
        }
        if (endOfStream)
        {
            OnEndOfStream(streamId);
        }
    }

    /// <summary>The response ended (FIN / END_STREAM): good if it carried the expected body.</summary>
    protected void OnEndOfStream(int streamId)
    {
        if (!_slotOfStream.Remove(streamId, out var slot))
        {
            return;
        }
        Responses++;
        var now = Stopwatch.GetTimestamp();
        var good = _bodyOfSlot[slot] == _settings.ExpectedBodyLength;
        if (!good)
        {
            Bad++;
            Problem ??= $"stream {streamId} ended with {_bodyOfSlot[slot]} body bytes (expected {_settings.ExpectedBodyLength})";
        }
        if (now >= _measureStart && now <= _end)
        {
            if (good)
            {
                WindowOk++;
                Latencies.Add(now - _startOfSlot[slot]);
            }
            else
            {
                WindowBad++;
            }
        }
        _freeSlots.Push(slot);
    }

    /// <summary>The server reset one stream: an error, and the slot is free again.</summary>
    protected void OnReset(int streamId, uint status)
    {
        if (_slotOfStream.Remove(streamId, out var slot))
        {
            Responses++;
            _freeSlots.Push(slot);
        }
        Fail($"stream {streamId} reset by the server (status {status})");
    }

    /// <summary>GOAWAY: the connection ends here.</summary>
    protected void OnGoAway(uint status)
    {
        Fail($"GOAWAY from the server (status {status}) with {_slotOfStream.Count} responses in flight");
        _stopped = true;
    }
}

/// <summary>A growable output buffer; reused for the whole run.</summary>
internal sealed class RawOutput
{
    public byte[] Buffer { get; private set; } = new byte[16 * 1024];

    public int Length { get; private set; }

    public Span<byte> Take(int count)
    {
        if (Length + count > Buffer.Length)
        {
            var bigger = new byte[Math.Max(Buffer.Length * 2, Length + count)];
            Buffer.AsSpan(0, Length).CopyTo(bigger);
            Buffer = bigger;
        }
        var span = Buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }

    /// <summary>Gives back the unused tail of the last <see cref="Take"/>.</summary>
    public void Shrink(int unused) => Length -= unused;

    public void Clear() => Length = 0;
}

/// <summary>CPU time of the calling thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID)).</summary>
internal static unsafe partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    public static double Seconds()
    {
        TimeSpec time;
        return ClockGetTime(ClockThreadCpuTimeId, &time) == 0 ? time.Seconds + time.Nanoseconds / 1e9 : double.NaN;
    }
}

/// <summary>Big-endian helpers for frame fields.</summary>
internal static class Wire
{
    public static int UInt24(ReadOnlySpan<byte> b) => (b[0] << 16) | (b[1] << 8) | b[2];

    public static void UInt24(Span<byte> b, int value)
    {
        b[0] = (byte)(value >> 16);
        b[1] = (byte)(value >> 8);
        b[2] = (byte)value;
    }

    public static int StreamId(ReadOnlySpan<byte> b) => (int)(BinaryPrimitives.ReadUInt32BigEndian(b) & 0x7fffffff);
}
