using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Runner;

/// <summary>The line-per-trial progress that a log (CI, `> run.log`) gets instead of the terminal's bar.</summary>
public sealed class RunProgressTests
{
    /// <summary>A progress writing to a string; <paramref name="planned"/> null: as many as the small plan has.</summary>
    private static (ConsoleRunProgress Progress, StringWriter Log, List<PlannedTrial> Plan) Start(int? planned)
    {
        var plan = ExperimentMatrix.Expand(TrialRunnerTests.SmallExperiment(runs: 1), () => []).ToList();
        var log = new StringWriter();
        var progress = new ConsoleRunProgress(log);
        progress.Started(planned ?? plan.Count, alreadyDone: 0, parallel: 8);
        return (progress, log, plan);
    }

    private static TrialRecord Finish(ConsoleRunProgress progress, PlannedTrial trial, bool ok = true)
    {
        var record = trial.ToRecord();
        record.PltMs = 1234;
        if (!ok)
        {
            record.Status = TrialStatus.Failed;
            record.PltMs = null;
            record.Error = "connection reset";
        }
        progress.TrialFinished(trial, record);
        return record;
    }

    private static string[] Lines(StringWriter log) => log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Test]
    public void TrialFinished_LongRunToLog_PrintsTheFirstTrialThenOneLinePerInterval()
    {
        var (progress, log, plan) = Start(planned: 10_000);

        Finish(progress, plan[0]);
        Finish(progress, plan[1]);
        Finish(progress, plan[2]);

        var lines = Lines(log);
        Assert.That(lines, Has.Length.EqualTo(2), log.ToString());
        Assert.That(lines[0], Does.StartWith("10000 trials; 8 world(s) in parallel"));
        Assert.That(lines[1], Does.StartWith("[1/10000] ").And.Contain("1234 ms"));
    }

    [Test]
    public void TrialFinished_LongRunFailure_AlwaysPrinted()
    {
        var (progress, log, plan) = Start(planned: 10_000);

        Finish(progress, plan[0]);
        Finish(progress, plan[1], ok: false);

        var lines = Lines(log);
        Assert.That(lines, Has.Length.EqualTo(3), log.ToString());
        Assert.That(lines[2], Does.StartWith("[2/10000] ").And.Contain("FAILED (connection reset)"));
    }

    [Test]
    public void TrialFinished_ShortRunToLog_PrintsEveryTrial()
    {
        var (progress, log, plan) = Start(planned: null);

        foreach (var trial in plan) Finish(progress, trial);

        Assert.That(Lines(log), Has.Length.EqualTo(plan.Count + 1), log.ToString());
    }
}
