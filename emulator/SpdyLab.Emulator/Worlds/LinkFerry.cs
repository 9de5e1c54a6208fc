using SpdyLab.Emulator.Capture;
using SpdyLab.Emulator.Interop;
using SpdyLab.Emulator.Link;

namespace SpdyLab.Emulator.Worlds;

/// <summary>
/// Moves one direction's packets: reads from the source TUN, passes them through the link's stages on
/// the monotonic clock, writes what leaves the link to the destination TUN. One dedicated thread, no
/// Task per packet: it sleeps in ppoll(2) until a packet arrives or the link's next event is due, then
/// reads what is waiting in a batch.
/// </summary>
public sealed unsafe class LinkFerry : IDisposable
{
    private const int ReadBatch = 64;
    private const long IdleWaitMicros = 20_000; // how often an idle ferry checks whether it must stop
    private static readonly long SpinMicros =
        long.TryParse(Environment.GetEnvironmentVariable("SPDYLAB_FERRY_SPIN_US"), out var spin) ? spin : 60;
    private readonly int _sourceFd;
    private readonly int _destinationFd;
    private readonly PacketPool _pool;
    private readonly PcapWriter? _sourceCapture;
    private readonly PcapWriter? _destinationCapture;
    private readonly Thread _thread;
    private readonly Action<Packet> _deliver;
    private volatile bool _stopping;

    public LinkFerry(LinkDirection link, int sourceFd, int destinationFd, int mtu,
        PcapWriter? sourceCapture = null, PcapWriter? destinationCapture = null)
    {
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

    /// <summary>Whether the ferry thread got real-time (SCHED_FIFO) scheduling.</summary>
    public bool RealTime { get; private set; }

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
        // A low real-time priority (when allowed: root) so a busy machine (compilers on every core)
        // does not delay packets by whole scheduler time slices. The ferry sleeps whenever it has
        // nothing due, and the kernel's RT throttling bounds it anyway.
        int priority = 10;
        RealTime = Libc.SchedSetScheduler(0, Libc.SCHED_FIFO, &priority) == 0;
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
                if (n < 0 && Sys.LastErrno is Libc.EAGAIN or Libc.EINTR) return;
                if (n < 0) Sys.Check(n, $"read(TUN fd {_sourceFd})");
                return;
            }
            packet.Length = (int)n;
            long now = MonotonicClock.NowMicroseconds;
            _sourceCapture?.Write(now, packet.Data);
            Link.Enqueue(packet, now);
        }
    }

    private void Deliver(Packet packet)
    {
        nint n;
        fixed (byte* buffer = packet.Buffer) n = Libc.Write(_destinationFd, buffer, packet.Length);
        if (n < 0)
        {
            Link.CountWriteDrop(packet); // returns it to the pool
            return;
        }
        _destinationCapture?.Write(packet.Time, packet.Data);
        _pool.Return(packet);
    }
}
