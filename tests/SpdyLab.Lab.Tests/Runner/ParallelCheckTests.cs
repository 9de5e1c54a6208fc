using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Runner;

public class ParallelCheckTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("spdylab-parallel-check-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void Rounds_EveryTrialOncePerLevel_LevelsInterleavedByRunIndex()
    {
        var plan = ExperimentMatrix.Expand(TrialRunnerTests.SmallExperiment(runs: 4), () => []);

        var rounds = ParallelCheck.Rounds(plan, [1, 2]);

        foreach (var level in new[] { 1, 2 })
        {
            var keys = rounds.Where(r => r.Level == level).SelectMany(r => r.Trials).Select(t => t.Key).ToList();
            Assert.That(keys, Is.EquivalentTo(plan.Select(t => t.Key + "|j=" + level)));
        }
        Assert.That(rounds.Select(r => r.Level), Is.EqualTo(new[] { 1, 2, 1, 2, 1, 2, 1, 2 }),
            "16 trials per run index keep 2 worlds busy: one run index per round, levels alternating");
        Assert.That(rounds[0].Trials.Select(t => t.Seed), Is.EqualTo(rounds[1].Trials.Select(t => t.Seed)), "same paired seeds at each level");
    }

    [Test, CancelAfter(60_000)]
    public async Task Session_ParallelCheck_RunsEachLevel_AndPrintsMediansSideBySide(CancellationToken cancellationToken)
    {
        var executor = new FakeExecutor { DelayMs = 5 };
        var output = new StringWriter();
        var session = new ExperimentSession(() => ["s1", "s2"], () => executor, output);
        var options = new SessionOptions { OutputDirectory = directory, ParallelCheck = [1, 3] };

        var code = await session.RunAsync(TrialRunnerTests.SmallExperiment(runs: 2), options, cancellationToken);

        Assert.That(code, Is.EqualTo(0), output.ToString());
        using var store = ResultsStore.Open(Path.Combine(directory, ExperimentSession.DatabaseName));
        var rows = store.ReadTrials();
        Assert.That(rows, Has.Count.EqualTo(32));
        Assert.That(rows.Count(r => ParallelCheck.LevelOf(r) == 1), Is.EqualTo(16));
        Assert.That(rows.Where(r => ParallelCheck.LevelOf(r) == 1).All(r => r.Parallel == 1), Is.True, "the serial level ran one world at a time");
        Assert.That(executor.MaxConcurrent, Is.EqualTo(3));
        var table = File.ReadAllText(Path.Combine(directory, "parallel-check.md"));
        Assert.That(table, Does.Contain("| s1 | HTTP | dsl rtt 0 ms loss 1% | 3000 (2) | 3000 (2) | +0.0% |"));
        Assert.That(table, Does.Contain("-j 3 against -j 1: median change +0.0%"));
    }

    [Test]
    public void Render_LevelSlowerThanSerial_ShowsTheChange()
    {
        TrialRecord Row(int level, int run, double plt) => new()
        {
            TrialKey = $"k{run}|j={level}", Site = "google", Protocol = "http/1.1", Transport = "tcp", DomainMode = "multi", Feature = "none",
            Link = "dsl", RttMs = 40, Loss = 0.01, Status = TrialStatus.Ok, PltMs = plt,
        };
        var rows = new[] { Row(1, 0, 500), Row(1, 1, 520), Row(1, 2, 510), Row(4, 0, 600), Row(4, 1, 640), Row(4, 2, 612) };

        var table = ParallelCheck.Render(rows, [1, 4]);

        Assert.That(table, Does.Contain("| google | HTTP | dsl rtt 40 ms loss 1% | 510 (3) | 612 (3) | +20.0% |"));
    }
}
