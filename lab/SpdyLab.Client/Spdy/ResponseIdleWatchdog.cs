using System.Diagnostics;

namespace SpdyLab.Client.Spdy;

/// <summary>
/// The response idle timeout (<see cref="ClientOptions.ResponseIdleTimeout"/>) of every request on one connection,
/// kept by one periodic timer: each request in flight holds a slot in a table, and marks when it starts and stops
/// waiting (for the reply, or for body bytes). A tick finds the entries that have waited longer
/// than the timeout and expires them (the connection resets their streams). A linked cancellation source and a
/// timer per wait cost four objects and two timer-queue lock rounds per read; this costs two short lock rounds per request
/// (register, leave). A wait times out between one timeout and one timeout plus a tick (a quarter of it, at most 1 s) after it
/// started.
/// </summary>
internal sealed class ResponseIdleWatchdog : IDisposable
{
    private readonly object _lock = new();
    private readonly long _timeoutTicks;
    private readonly Timer? _timer; // none when the timeout is infinite
    // The requests in flight, by slot; free slots are reused (a stack of their numbers), so a request costs no node.
    private IEntry?[] _entries = new IEntry?[16];
    private int[] _free = new int[16];
    private int _freeCount;
    private int _used; // slots ever handed out: _entries[.._used]
    private int _count;
    private bool _disposed;
    private readonly bool _disabled;

    public ResponseIdleWatchdog(TimeSpan timeout)
    {
        Timeout = timeout;
        if (timeout == System.Threading.Timeout.InfiniteTimeSpan)
        {
            // No idle timeout (as CancelAfter(InfiniteTimeSpan) meant before the watchdog): nothing registers.
            _disabled = true;
            return;
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(timeout));
        _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var tick = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerSecond));
        // The timer reaches the watchdog only through a weak reference: a connection that was never disposed must
        // not be kept alive by its timer.
        _timer = new Timer(
            static state =>
            {
                if (((WeakReference<ResponseIdleWatchdog>)state!).TryGetTarget(out var watchdog))
                {
                    watchdog.Tick();
                }
            },
            new WeakReference<ResponseIdleWatchdog>(this), tick, tick);
    }

    public TimeSpan Timeout { get; }

    /// <summary>Requests registered now (for tests: every finished request must have left).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Registers a request; returns its slot for <see cref="Remove"/>, or -1 once the watchdog is disposed
    /// (or when the timeout is infinite).</summary>
    public int Add(IEntry entry)
    {
        if (_disabled)
        {
            return -1;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return -1;
            }

            int slot;
            if (_freeCount > 0)
            {
                slot = _free[--_freeCount];
            }
            else
            {
                if (_used == _entries.Length)
                {
                    Array.Resize(ref _entries, _entries.Length * 2);
                    Array.Resize(ref _free, _entries.Length);
                }

                slot = _used++;
            }

            _entries[slot] = entry;
            _count++;
            return slot;
        }
    }

    /// <summary>Unregisters the request in <paramref name="slot"/> if it is <paramref name="entry"/> (a slot given
    /// back twice is ignored).</summary>
    public void Remove(int slot, IEntry entry)
    {
        if (slot < 0)
        {
            return;
        }

        lock (_lock)
        {
            if (slot < _used && ReferenceEquals(_entries[slot], entry))
            {
                _entries[slot] = null;
                _free[_freeCount++] = slot;
                _count--;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _timer?.Dispose();
    }

    private void Tick()
    {
        var now = Stopwatch.GetTimestamp();
        List<IEntry>? expired = null;
        lock (_lock)
        {
            for (var i = 0; i < _used; i++)
            {
                if (_entries[i] is { } entry && entry.WaitingSince is var since && since != 0 && now - since > _timeoutTicks)
                {
                    (expired ??= []).Add(entry);
                }
            }
        }

        // Outside the lock: expiring resets a stream, which runs the session's code and its waiters' continuations.
        foreach (var entry in expired ?? [])
        {
            entry.Expire();
        }
    }

    /// <summary>One request in flight.</summary>
    internal interface IEntry
    {
        /// <summary>The <see cref="Stopwatch"/> timestamp its current wait (for the reply or body bytes) started; 0 when not waiting.</summary>
        long WaitingSince { get; }

        /// <summary>The wait took longer than the timeout: give up on the request. May be called again on a later
        /// tick while the wait goes on.</summary>
        void Expire();
    }
}
