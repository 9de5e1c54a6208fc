using System.Collections.Concurrent;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Runner;

/// <summary>An executor that "loads" a page in a few milliseconds, records what it ran, and can fail or stall on demand.</summary>
internal sealed class FakeExecutor : ITrialExecutor
{
    private int running;

    public ConcurrentQueue<string> Ran { get; } = new();
    public int MaxConcurrent;
    public Func<PlannedTrial, bool> Fails { get; init; } = _ => false;
    public Func<PlannedTrial, bool> Stalls { get; init; } = _ => false;
    public Action<PlannedTrial>? AfterTrial { get; init; }
    public int DelayMs { get; init; } = 2;

    public void CheckReady(IReadOnlyList<PlannedTrial> trials) { }

    public async Task RunAsync(PlannedTrial trial, TrialRecord record, TrialContext context, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref running);
        InterlockedMax(ref MaxConcurrent, now);
        try
        {
            if (Stalls(trial)) await Task.Delay(Timeout.Infinite, cancellationToken);
            await Task.Delay(DelayMs, cancellationToken);
            if (Fails(trial)) throw new IOException("connection reset");
            // HTTP slower than SPDY, so summaries have something to say.
            record.PltMs = trial.Configuration.Protocol == Protocols.Http11 ? 3000 : 2000;
            record.PacketsUp = 10;
            record.PacketsDown = trial.Configuration.Protocol == Protocols.Http11 ? 100 : 60;
            record.HeaderBytesUpRaw = 1000;
            record.HeaderBytesUpWire = trial.Configuration.Protocol == Protocols.Http11 ? 1000 : 120;
            Ran.Enqueue(trial.Key);
        }
        finally
        {
            Interlocked.Decrement(ref running);
        }
        AfterTrial?.Invoke(trial);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}

public class TrialRunnerTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("spdylab-runner-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    internal static Experiment SmallExperiment(int runs = 2) => ExperimentLoader.Parse($$"""
        experiment: small
        runs: {{runs}}
        sites: [s1, s2]
        designs:
          - design: table1
            links: [dsl, cable]
            loss: 1%
            configurations: [{protocol: http/1.1}, {protocol: spdy/3, domain: single}]
        """, "small.yaml");

    private ResultsStore OpenStore() => ResultsStore.OpenOrCreate(Path.Combine(directory, "results.db"),
        ExperimentInfo.StartingNow("small", "", "test"));

    private static RunnerOptions Options(int parallel = 2) => new() { Parallel = parallel, TrialTimeout = TimeSpan.FromSeconds(10) };

    [Test, CancelAfter(30_000)]
    public async Task RunAsync_Parallel_RecordsEveryTrialOnce(CancellationToken cancellationToken)
    {
        var plan = ExperimentMatrix.Expand(SmallExperiment(), () => []);
        var executor = new FakeExecutor { DelayMs = 20 };
        using var store = OpenStore();

        var outcome = await new TrialRunner(executor, store, Options(parallel: 3), NullRunProgress.Instance).RunAsync(plan, cancellationToken);

        Assert.That(outcome.Succeeded, Is.EqualTo(plan.Count));
        Assert.That(store.CompletedTrialKeys(), Is.EquivalentTo(plan.Select(t => t.Key)));
        Assert.That(executor.Ran, Has.Count.EqualTo(plan.Count));
        Assert.That(executor.MaxConcurrent, Is.EqualTo(3));
        var trials = store.ReadTrials();
        Assert.That(trials.All(t => t.Parallel is >= 1 and <= 3 && t.FinishedAt >= t.StartedAt), Is.True);
    }

    [Test, CancelAfter(30_000)]
    public async Task RunAsync_InterruptedThenResumed_LosesNoTrialAndRepeatsNone(CancellationToken cancellationToken)
    {
        var plan = ExperimentMatrix.Expand(SmallExperiment(runs: 3), () => []);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int finished = 0;
        // The "kill": after 7 trials the run is cancelled while other trials are in flight.
        var first = new FakeExecutor { DelayMs = 10, AfterTrial = _ => { if (Interlocked.Increment(ref finished) == 7) interrupt.Cancel(); } };
        RunOutcome firstOutcome;
        using (var store = OpenStore())
        {
            firstOutcome = await new TrialRunner(first, store, Options(parallel: 2), NullRunProgress.Instance).RunAsync(plan, interrupt.Token);
        }
        Assert.That(firstOutcome.Interrupted, Is.True);

        var second = new FakeExecutor();
        using (var store = OpenStore())
        {
            var recordedBefore = store.CompletedTrialKeys();
            Assert.That(recordedBefore, Is.SubsetOf(first.Ran), "only finished trials were recorded");
            Assert.That(recordedBefore.Count, Is.InRange(7, plan.Count - 1));

            var outcome = await new TrialRunner(second, store, Options(), NullRunProgress.Instance).RunAsync(plan, cancellationToken);

            Assert.That(outcome.SkippedAsDone, Is.EqualTo(recordedBefore.Count));
            Assert.That(second.Ran.Intersect(recordedBefore), Is.Empty, "a resumed run repeats no finished trial");
            Assert.That(store.CompletedTrialKeys(), Is.EquivalentTo(plan.Select(t => t.Key)), "and the database ends with every trial");
            Assert.That(store.CountTrials(), Is.EqualTo(plan.Count));
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task RunAsync_FailedTrial_IsRecordedAsFailed_AndRetriedOnResume(CancellationToken cancellationToken)
    {
        var plan = ExperimentMatrix.Expand(SmallExperiment(runs: 1), () => []);
        var unlucky = plan[3].Key;
        using var store = OpenStore();

        var outcome = await new TrialRunner(new FakeExecutor { Fails = t => t.Key == unlucky }, store, Options(), NullRunProgress.Instance)
            .RunAsync(plan, cancellationToken);

        Assert.That((outcome.Succeeded, outcome.Failed), Is.EqualTo((plan.Count - 1, 1)));
        var failed = store.ReadTrials().Single(t => !t.IsOk);
        Assert.That(failed.TrialKey, Is.EqualTo(unlucky));
        Assert.That(failed.Error, Is.EqualTo("IOException: connection reset"));

        var retry = new FakeExecutor();
        await new TrialRunner(retry, store, Options(), NullRunProgress.Instance).RunAsync(plan, cancellationToken);
        Assert.That(retry.Ran, Is.EqualTo(new[] { unlucky }));
        Assert.That(store.CountTrials(TrialStatus.Ok), Is.EqualTo(plan.Count));
        Assert.That(store.CountTrials(), Is.EqualTo(plan.Count));
    }

    [Test, CancelAfter(30_000)]
    public async Task RunAsync_StalledTrial_TimesOutAsFailed(CancellationToken cancellationToken)
    {
        var plan = ExperimentMatrix.Expand(SmallExperiment(runs: 1), () => []).Take(2).ToList();
        using var store = OpenStore();
        var options = Options() with { TrialTimeout = TimeSpan.FromMilliseconds(200) };

        var outcome = await new TrialRunner(new FakeExecutor { Stalls = t => t == plan[0] }, store, options, NullRunProgress.Instance)
            .RunAsync(plan, cancellationToken);

        Assert.That(outcome.Failed, Is.EqualTo(1));
        Assert.That(store.ReadTrials().Single(t => !t.IsOk).Error, Does.StartWith("timed out after 0.2 s"));
    }

    [Test, CancelAfter(30_000)]
    public async Task RunAsync_EveryTrialFailing_StopsEarlyWithTheLastError(CancellationToken cancellationToken)
    {
        var plan = ExperimentMatrix.Expand(SmallExperiment(runs: 20), () => []);
        using var store = OpenStore();
        var options = Options(parallel: 1) with { MaxConsecutiveFailures = 5 };

        var outcome = await new TrialRunner(new FakeExecutor { Fails = _ => true }, store, options, NullRunProgress.Instance)
            .RunAsync(plan, cancellationToken);

        Assert.That(outcome.Failed, Is.EqualTo(5));
        Assert.That(outcome.AbortReason, Does.Contain("5 trials in a row failed").And.Contain("connection reset"));
    }

    [Test]
    public void Summary_OfRecordedTrials_ComparesAgainstHttpOverTheSameTransport()
    {
        var plan = ExperimentMatrix.Expand(SmallExperiment(runs: 1), () => []);
        var records = plan.Select(t =>
        {
            var r = t.ToRecord();
            r.PltMs = t.Configuration.Protocol == Protocols.Http11 ? 3000 : 2000;
            r.PacketsUp = 10;
            r.PacketsDown = t.Configuration.Protocol == Protocols.Http11 ? 90 : 50;
            r.HeaderBytesUpRaw = 1000;
            r.HeaderBytesUpWire = t.Configuration.Protocol == Protocols.Http11 ? 1000 : 120;
            return r;
        }).ToList();

        var text = SummaryTables.Render(records);

        Assert.That(text, Does.Contain("table1: dsl (2mbit/375kbit), RTT 0 ms, loss 1%"));
        var spdyLine = text.Split('\n').First(l => l.Contains("SPDY/3 single-domain") && l.Contains("33.3%"));
        Assert.That(spdyLine, Does.Contain("88.0%"), "header compression up");
        Assert.That(spdyLine, Does.Contain("-40.0%"), "packets against HTTP");
    }
}
