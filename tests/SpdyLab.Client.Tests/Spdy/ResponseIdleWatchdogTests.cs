using System.Diagnostics;
using SpdyLab.Client.Spdy;

namespace SpdyLab.Client.Tests.Spdy;

public class ResponseIdleWatchdogTests
{
    private sealed class WaitingEntry : ResponseIdleWatchdog.IEntry
    {
        private int _expired;

        public long WaitingSince { get; init; } = Stopwatch.GetTimestamp();

        public int Expired => Volatile.Read(ref _expired);

        public void Expire() => Interlocked.Increment(ref _expired);
    }

    [Test, CancelAfter(10_000)]
    public async Task Add_WaitingPastTheTimeout_EntryExpires(CancellationToken cancellationToken)
    {
        using var watchdog = new ResponseIdleWatchdog(TimeSpan.FromMilliseconds(100));
        var entry = new WaitingEntry();
        watchdog.Add(entry);

        while (entry.Expired == 0)
        {
            await Task.Delay(20, cancellationToken);
        }

        Assert.That(entry.Expired, Is.GreaterThan(0));
    }

    // Timeout.InfiniteTimeSpan is -1 ms: taken as a duration, every wait would be "older than the timeout" and
    // every request would be reset within a tick.
    [Test]
    public async Task Add_InfiniteTimeout_NothingRegisteredAndNothingExpires()
    {
        using var watchdog = new ResponseIdleWatchdog(Timeout.InfiniteTimeSpan);
        var entry = new WaitingEntry();

        var slot = watchdog.Add(entry);
        await Task.Delay(300);

        Assert.Multiple(() =>
        {
            Assert.That(slot, Is.EqualTo(-1));
            Assert.That(watchdog.Count, Is.Zero);
            Assert.That(entry.Expired, Is.Zero);
        });
    }

    [TestCase(0)]
    [TestCase(-5)]
    public void Constructor_ZeroOrNegativeTimeout_Throws(int milliseconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResponseIdleWatchdog(TimeSpan.FromMilliseconds(milliseconds)));
}
