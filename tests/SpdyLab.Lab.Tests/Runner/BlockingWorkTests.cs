using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Runner;

/// <summary>
/// The runner keeps blocking work (world set-up and teardown: `ip` processes, thread joins) off the thread
/// pool, whose threads carry every page load's socket continuations, and sizes the pool for its worlds.
/// </summary>
public class BlockingWorkTests
{
    /// <summary>A "world" whose Dispose blocks until released and records the thread it ran on.</summary>
    private sealed class BlockingWorld(ManualResetEventSlim release) : IDisposable
    {
        public bool? DisposedOnPoolThread;
        public readonly ManualResetEventSlim Disposed = new();

        public void Dispose()
        {
            DisposedOnPoolThread = Thread.CurrentThread.IsThreadPoolThread;
            release.Wait(TimeSpan.FromSeconds(20));
            Disposed.Set();
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task DedicatedThread_RunAsync_RunsOffThePool_AndCarriesResultAndException(CancellationToken cancellationToken)
    {
        var onPool = await DedicatedThread.RunAsync("test", () => Thread.CurrentThread.IsThreadPoolThread);
        Assert.That(onPool, Is.False);

        var failure = DedicatedThread.RunAsync("test", new Action(() => throw new InvalidOperationException("ip failed")));
        Assert.That(async () => await failure, Throws.InvalidOperationException.With.Message.EqualTo("ip failed"));
    }

    [Test, CancelAfter(20_000)]
    public async Task BackgroundTeardowns_DisposeOffThePool_AndTheCallerIsNotBlocked(CancellationToken cancellationToken)
    {
        using var release = new ManualResetEventSlim();
        var teardowns = new BackgroundTeardowns(maxPending: 2);
        var worlds = Enumerable.Range(0, 3).Select(_ => new BlockingWorld(release)).ToList();

        // Below the bound the caller goes on at once; above it (3 pending > 2) it gets a task to await,
        // and none of this holds the calling thread while the disposals block.
        var first = teardowns.AddAsync(worlds[0]);
        var second = teardowns.AddAsync(worlds[1]);
        var third = teardowns.AddAsync(worlds[2]);
        Assert.That(first.IsCompleted && second.IsCompleted, Is.True, "below the bound the caller does not wait");
        Assert.That(third.IsCompleted, Is.False, "above the bound the caller waits for the pending teardowns");
        var all = teardowns.CompleteAsync();
        Assert.That(all.IsCompleted, Is.False);

        release.Set();
        await third.WaitAsync(cancellationToken);
        await all.WaitAsync(cancellationToken);
        Assert.That(worlds.Select(w => w.Disposed.IsSet), Is.All.True);
        Assert.That(worlds.Select(w => w.DisposedOnPoolThread), Is.All.False, "a world is disposed on a dedicated thread, not a pool thread");
    }

    [Test, CancelAfter(30_000)]
    public async Task TrialRunner_Parallel_RaisesThePoolMinimumToTwoThreadsPerWorld(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("spdylab-pool-").FullName;
        try
        {
            using var store = ResultsStore.OpenOrCreate(Path.Combine(directory, "results.db"), ExperimentInfo.StartingNow("small", "", "test"));
            var plan = ExperimentMatrix.Expand(TrialRunnerTests.SmallExperiment(runs: 1), () => []);
            ThreadPool.GetMinThreads(out var before, out _);
            int parallel = Math.Max(12, before); // above whatever the minimum is now, so the test sees the runner raise it

            await new TrialRunner(new FakeExecutor(), store, new RunnerOptions { Parallel = parallel, TrialTimeout = TimeSpan.FromSeconds(10) },
                NullRunProgress.Instance).RunAsync(plan, cancellationToken);

            ThreadPool.GetMinThreads(out var after, out _);
            Assert.That(after, Is.GreaterThanOrEqualTo(parallel * TrialRunner.PoolThreadsPerWorld));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Counts how many Chromium trials and how many trials in all run at once.</summary>
    private sealed class CountingExecutor : ITrialExecutor
    {
        private int chromium, all;
        public int MaxChromium, MaxAll;

        public void CheckReady(IReadOnlyList<PlannedTrial> trials) { }

        public async Task RunAsync(PlannedTrial trial, TrialRecord record, TrialContext context, CancellationToken cancellationToken)
        {
            bool isChromium = trial.Client == Clients.Chromium;
            int nowAll = Interlocked.Increment(ref all);
            int nowChromium = isChromium ? Interlocked.Increment(ref chromium) : 0;
            lock (this)
            {
                MaxAll = Math.Max(MaxAll, nowAll);
                MaxChromium = Math.Max(MaxChromium, nowChromium);
            }
            try
            {
                await Task.Delay(isChromium ? 30 : 10, cancellationToken);
                record.PltMs = 1000;
            }
            finally
            {
                if (isChromium) Interlocked.Decrement(ref chromium);
                Interlocked.Decrement(ref all);
            }
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task TrialRunner_ChromiumTrials_RunOneAtATime_WhileOthersFillTheParallelism(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("spdylab-chromium-gate-").FullName;
        try
        {
            // Each site's block holds two Chromium rows next to each other, as in the whitepaper design.
            var experiment = ExperimentLoader.Parse("""
                experiment: gate
                runs: 3
                sites: [s1, s2, s3, s4]
                designs:
                  - design: custom
                    links: [cable]
                    configurations: [{protocol: h2, transport: tls}, {protocol: spdy/3, domain: single}, {protocol: http/1.1},
                                     {protocol: http/1.1, transport: tls, client: chromium}, {protocol: h2, transport: tls, client: chromium}]
                """, "gate.yaml");
            var plan = ExperimentMatrix.Expand(experiment, () => []);
            using var store = ResultsStore.OpenOrCreate(Path.Combine(directory, "results.db"), ExperimentInfo.StartingNow("gate", "", "test"));
            var executor = new CountingExecutor();

            var outcome = await new TrialRunner(executor, store, new RunnerOptions { Parallel = 6, TrialTimeout = TimeSpan.FromSeconds(10) },
                NullRunProgress.Instance).RunAsync(plan, cancellationToken);

            Assert.That(outcome.Succeeded, Is.EqualTo(plan.Count));
            Assert.That(executor.MaxChromium, Is.EqualTo(1), "at most one Chromium trial at a time");
            Assert.That(executor.MaxAll, Is.GreaterThan(2), "the other trials still run in parallel");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
