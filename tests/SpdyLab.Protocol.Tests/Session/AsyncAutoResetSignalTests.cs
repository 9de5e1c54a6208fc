namespace SpdyLab.Protocol.Tests.Session;

/// <summary>
/// The write loop's signal: a Set that races the waiter's check-then-wait must never be lost (the write loop
/// would then sleep with frames queued until the next Set, or for ever).
/// </summary>
public class AsyncAutoResetSignalTests
{
    [Test]
    public async Task WaitAsync_AfterSet_CompletesAtOnceAndConsumesTheSignal()
    {
        var signal = new AsyncAutoResetSignal();
        signal.Set();
        signal.Set(); // coalesces with the first

        var first = signal.WaitAsync();
        var second = signal.WaitAsync();

        Assert.That(first.IsCompleted, Is.True);
        Assert.That(second.IsCompleted, Is.False, "two Sets before a wait are one signal");
        signal.Set();
        await second.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Test]
    [CancelAfter(30000)]
    public async Task SetFromOtherThreads_RacingTheWaiter_NoWakeUpIsLost(CancellationToken cancellationToken)
    {
        // Like the write loop: a producer adds work then Sets; the consumer takes all work there is, then waits.
        // The producer then waits for its item to be consumed before the next one, so every Set is the last for
        // a while: a lost one leaves the consumer waiting with work queued and the producer waiting for it, which
        // the 5 s bound catches. (With a second producer its next Set would hide the loss.) The random spins move
        // each Set around the consumer's check-then-wait.
        const int producers = 1;
        var limit = TimeSpan.FromSeconds(1);
        var signal = new AsyncAutoResetSignal();
        long produced = 0;
        long consumed = 0;
        var stop = 0;
        var lost = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var running = System.Diagnostics.Stopwatch.StartNew();
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            var random = new Random(p);
            while (Volatile.Read(ref stop) == 0 && running.Elapsed < limit)
            {
                Thread.SpinWait(random.Next(200));
                var item = Interlocked.Increment(ref produced);
                signal.Set();
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref consumed) < item)
                {
                    if (waited.Elapsed > TimeSpan.FromSeconds(5))
                    {
                        lost.Enqueue($"item {item} not consumed 5 s after its Set ({Volatile.Read(ref consumed)} consumed)");
                        Volatile.Write(ref stop, 1);
                        return;
                    }

                    Thread.Yield();
                }
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());

        var waits = 0;
        var producing = Task.Run(() => threads.ForEach(t => t.Join()), CancellationToken.None);
        try
        {
            while (!producing.IsCompleted)
            {
                var available = Volatile.Read(ref produced);
                if (available > Volatile.Read(ref consumed))
                {
                    Volatile.Write(ref consumed, available);
                    continue;
                }

                var wait = signal.WaitAsync();
                if (!wait.IsCompleted)
                {
                    waits++;
                    // Producers that are done Set no more: the consumer also wakes when they have all finished.
                    await Task.WhenAny(wait.AsTask(), producing).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, 1);
        }

        TestContext.Out.WriteLine($"{Volatile.Read(ref consumed)} items, {waits} waits that blocked, {running.Elapsed.TotalSeconds:F1} s");
        Assert.That(lost, Is.Empty, "lost wake-up");
        Assert.That(waits, Is.GreaterThan(0), "the consumer never had to wait: the race was not exercised");
    }
}
