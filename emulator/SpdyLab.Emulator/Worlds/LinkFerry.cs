using SpdyLab.Emulator.Capture;
using SpdyLab.Emulator.Interop;
using SpdyLab.Emulator.Link;

namespace SpdyLab.Emulator.Worlds;

/// <summary>
/// Moves one direction's packets: reads from the source TUN, passes them through the link's stages on
/// the monotonic clock, writes what leaves the link to the destination TUN. One dedicated thread, no
/// Task per packet: it sleeps in ppoll(2) until a packet arrives or the link's next event is due, then
/// reads what is waiting in a batch.
/// <para>Hardening: the ferry never parses packets (loss, queue, rate and delay look only at lengths), so
/// malformed ones cross like any other and the receiving kernel judges them; a packet that does not fit
/// the buffer (the TUN's MTU was raised) is dropped and counted, not forwarded truncated; at most
/// <see cref="MaxPacketsHeld"/> packets are held at once (memory bound even with an unlimited queue);
/// a failing capture ends the capture, not the link. Each such event is reported once through the
/// warn callback.</para>
/// </summary>
public sealed unsafe class LinkFerry : IDisposable
{
    private const int ReadBatch = 64;
    /// <summary>The most packets one direction holds at once (about 100 MB of buffers at MTU 1500): beyond
    /// it arrivals are dropped as queue drops, so a burst into an unlimited queue cannot exhaust memory.</summary>
    public const int MaxPacketsHeld = 65_536;
    private const int MaxConsecutiveReadErrors = 100;
    private const long IdleWaitMicros = 20_000; // how often an idle ferry checks whether it must stop
    private static readonly long SpinMicros =
        long.TryParse(Environment.GetEnvironmentVariable("SPDYLAB_FERRY_SPIN_US"), out var spin) ? spin : 60;
    private readonly int _sourceFd;
    private readonly int _destinationFd;
    private readonly PacketPool _pool;
    private readonly PcapCapture? _sourceCapture;
    private readonly PcapCapture? _destinationCapture;
    private readonly Thread _thread;
    private readonly Action<Packet> _deliver;
    private readonly Action<string> _warn;
    private readonly int _maxPacketsHeld;
    private volatile bool _stopping;
    private bool _reportedOversize;
    private bool _reportedHeldLimit;
    private bool _reportedWriteError;
    private bool _reportedReadError;
    private int _consecutiveReadErrors;

    /// <param name="warn">receives one line per kind of trouble, the first time it happens (default: stderr)</param>
    public LinkFerry(LinkDirection link, int sourceFd, int destinationFd, int mtu,
        PcapCapture? sourceCapture = null, PcapCapture? destinationCapture = null, Action<string>? warn = null, int maxPacketsHeld = MaxPacketsHeld)
    {
        _maxPacketsHeld = maxPacketsHeld;
        _warn = warn ?? (line => Console.Error.WriteLine($"spdylab: {line}"));
        Link = link;
        _sourceFd = sourceFd;
        _destinationFd = destinationFd;
        _pool = new PacketPool(mtu + 64);
        _sourceCapture = sourceCapture;
        _destinationCapture = destinationCapture;
        _deliver = Deliver;
        link.Dropped = (packet, _) => _pool.Return(packet);
        _thread = new Thread(Run) { IsBackground = true, Name = $"ferry {link.Name}", Priority = ThreadPriority.AboveNormal };
    }

    public LinkDirection Link { get; }

    /// <summary>Packets this direction holds now (read and not yet written or dropped).</summary>
    public int PacketsHeld => _pool.Outstanding;

    /// <summary>The most packets it ever held at once: bounded by <see cref="MaxPacketsHeld"/>.</summary>
    public int PeakPacketsHeld => _pool.PeakOutstanding;

    /// <summary>The nice value ferry threads ask for: the highest CFS weight (about 87 times a nice-0 thread's).</summary>
    public const int FerryNice = -20;

    /// <summary>Whether the ferry thread got its high priority (<see cref="FerryNice"/>; needs root or CAP_SYS_NICE).</summary>
    public bool HighPriority { get; private set; }

    /// <summary>The ferry thread's kernel thread id (/proc/self/task/ID), once it runs; 0 before.</summary>
    public int ThreadId { get; private set; }

    /// <summary>The error that stopped the ferry, if one did.</summary>
    public Exception? Failure { get; private set; }

    public void Start() => _thread.Start();

    public void Stop()
    {
        _stopping = true;
        if (_thread.IsAlive) _thread.Join(5_000);
    }

    public void Dispose() => Stop();

    private void Run()
    {
        // Timer slack: the kernel may otherwise defer our wake-ups by 50 us to batch timers.
        Libc.Prctl(Libc.PR_SET_TIMERSLACK, 1, 0, 0, 0);
        // The highest nice priority (when allowed: root), so a busy machine (compilers on every core, or
        // eight worlds' page loads) does not delay packets by whole scheduler slices. Not a real-time
        // policy: a ferry is a managed thread, and when the runtime stops threads for a garbage collection
        // a SCHED_FIFO ferry waiting for it kept the collecting (ordinary) thread off the CPU until the
        // kernel's real-time throttling stepped in, freezing every world's link for about a second
        // (measured side by side at -j 8: longest GC pause 1.0 s with SCHED_FIFO, 0.12-0.24 s with nice;
        // docs/emulator.md).
        ThreadId = Libc.GetTid();
        HighPriority = Libc.SetPriority(Libc.PRIO_PROCESS, (uint)ThreadId, FerryNice) == 0;
        var poll = new Libc.PollFd { Fd = _sourceFd, Events = Libc.POLLIN };
        try
        {
            while (!_stopping)
            {
                long now = MonotonicClock.NowMicroseconds;
                Link.Pump(now, _deliver);
                long next = Link.NextEventTime;
                long wait = next == long.MaxValue ? IdleWaitMicros : Math.Min(next - now, IdleWaitMicros);
                // Sleep until shortly before the next event and spin the rest: a timer wake-up on a busy
                // virtual machine comes tens of microseconds late, and the link's delay must not drift.
                if (next != long.MaxValue && wait <= SpinMicros) wait = 0;
                else if (next != long.MaxValue && wait < IdleWaitMicros) wait -= SpinMicros;
                if (wait > 0)
                {
                    var timeout = new Libc.TimeSpec { Seconds = wait / 1_000_000, Nanoseconds = wait % 1_000_000 * 1000 };
                    poll.Revents = 0;
                    int ready = Libc.PPoll(&poll, 1, &timeout, null);
                    if (ready < 0 && Sys.LastErrno != Libc.EINTR) Sys.Check(ready, $"ppoll(fd {_sourceFd})");
                    if (ready <= 0) continue;
                }
                ReadBatch_();
            }
        }
        catch (Exception e)
        {
            Failure = e;
        }
    }

    private void ReadBatch_()
    {
        for (int i = 0; i < ReadBatch; i++)
        {
            var packet = _pool.Rent();
            nint n;
            fixed (byte* buffer = packet.Buffer) n = Libc.Read(_sourceFd, buffer, packet.Buffer.Length);
            if (n <= 0)
            {
                _pool.Return(packet);
                if (n == 0) return;
                int errno = Sys.LastErrno;
                if (errno is Libc.EAGAIN or Libc.EINTR) return;
                // One failed read (e.g. EFAULT/EINVAL from a device in an odd state) costs that packet; a
                // descriptor that keeps failing is broken and stops the ferry (see Failure).
                if (++_consecutiveReadErrors >= MaxConsecutiveReadErrors) Sys.Check(n, $"read(TUN fd {_sourceFd}), {MaxConsecutiveReadErrors} times in a row");
                Report(ref _reportedReadError, $"{Link.Name}: read(TUN fd {_sourceFd}) failed: {Describe(errno)}; the ferry goes on");
                return;
            }
            _consecutiveReadErrors = 0;
            if (n >= packet.Buffer.Length)
            {
                // TUN reads truncate silently: a full buffer means the packet was larger than the MTU the
                // buffers were sized for. Forwarding the truncated bytes would deliver a corrupt packet.
                Link.Counters.OversizeDrops++;
                _pool.Return(packet);
                Report(ref _reportedOversize, $"{Link.Name}: dropped a packet larger than {packet.Buffer.Length - 64} bytes (was the TUN device's MTU raised?); such drops are counted as 'oversize'");
                continue;
            }
            packet.Length = (int)n;
            long now = MonotonicClock.NowMicroseconds;
            _sourceCapture?.Write(now, packet.Data);
            if (_pool.Outstanding > _maxPacketsHeld)
            {
                Link.CountHeldLimitDrop(packet); // returns it to the pool
                Report(ref _reportedHeldLimit, $"{Link.Name}: more than {_maxPacketsHeld} packets held (an unlimited queue filling faster than the link drains?): arrivals are dropped as queue drops until it drains");
                continue;
            }
            Link.Enqueue(packet, now);
        }
    }

    private static string Describe(int errno) => $"{System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    private void Report(ref bool reported, string message)
    {
        if (reported) return;
        reported = true;
        _warn(message);
    }

    private void Deliver(Packet packet)
    {
        // Captured before the write: a TUN write hands the packet to the receiving stack synchronously, and
        // its answer (a SYN-ACK to this SYN) is read by the other ferry and captured at once; captured after,
        // the answer would precede the packet in the file. The cost: a packet the kernel refuses (a write
        // drop, e.g. not IP) is in the capture although it was not delivered.
        _destinationCapture?.Write(packet.Time, packet.Data);
        nint n;
        fixed (byte* buffer = packet.Buffer) n = Libc.Write(_destinationFd, buffer, packet.Length);
        if (n < 0)
        {
            // Expected for packets the kernel refuses (a write of something that is not IPv4 or IPv6 gets
            // EINVAL); counted as write drops, reported the first time.
            int errno = Sys.LastErrno;
            Link.CountWriteDrop(packet); // returns it to the pool
            Report(ref _reportedWriteError, $"{Link.Name}: write(TUN fd {_destinationFd}) of a {packet.Length}-byte packet failed: {Describe(errno)}; counted as a write drop (further ones are only counted)");
            return;
        }
        _pool.Return(packet);
    }
}
