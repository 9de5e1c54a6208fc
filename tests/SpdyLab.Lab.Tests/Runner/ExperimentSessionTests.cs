using SpdyLab.Lab.Commands;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Runner;

public class ExperimentSessionTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("spdylab-session-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    private (ExperimentSession Session, FakeExecutor Executor, StringWriter Output) NewSession()
    {
        var executor = new FakeExecutor();
        var output = new StringWriter();
        return (new ExperimentSession(() => ["s1", "s2"], () => executor, output), executor, output);
    }

    [Test, CancelAfter(60_000)]
    public async Task RunAsync_WritesDatabaseAndSummary_RefusesToOverwrite_AndResumesWithNothingToRepeat(CancellationToken cancellationToken)
    {
        var experiment = TrialRunnerTests.SmallExperiment();
        var options = new SessionOptions { OutputDirectory = directory, Parallel = 2 };
        var (session, executor, output) = NewSession();

        var code = await session.RunAsync(experiment, options, cancellationToken);

        Assert.That(code, Is.EqualTo(0), output.ToString());
        using (var store = ResultsStore.Open(Path.Combine(directory, ExperimentSession.DatabaseName)))
        {
            Assert.That(store.CountTrials(TrialStatus.Ok), Is.EqualTo(16));
            Assert.That(store.Meta[ResultsStore.MetaKeys.ExperimentFile], Is.EqualTo(experiment.SourceText));
            Assert.That(store.Meta["parallel"], Is.EqualTo("2"));
        }
        Assert.That(File.ReadAllText(Path.Combine(directory, ExperimentSession.SummaryName)), Does.Contain("33.3%"));

        var again = NewSession();
        await Assert.ThrowsAsync<UsageException>(() => again.Session.RunAsync(experiment, options, cancellationToken));

        var resumed = NewSession();
        code = await resumed.Session.RunAsync(experiment, options with { Resume = true }, cancellationToken);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(resumed.Executor.Ran, Is.Empty);
        Assert.That(resumed.Output.ToString(), Does.Contain("16 already done"));
    }

    [Test, CancelAfter(60_000)]
    public async Task RunAsync_WithReportOptions_WritesTheReportBesideTheDatabase(CancellationToken cancellationToken)
    {
        var options = new SessionOptions
        {
            OutputDirectory = directory,
            Parallel = 2,
            Report = new Reports.ReportOptions { Png = false, BootstrapResamples = 200 },
        };
        var (session, _, output) = NewSession();

        var code = await session.RunAsync(TrialRunnerTests.SmallExperiment(), options, cancellationToken);

        var report = Path.Combine(directory, ExperimentSession.ReportFolderName);
        Assert.That(code, Is.EqualTo(0), output.ToString());
        Assert.That(File.Exists(Path.Combine(report, "report.md")), Is.True, output.ToString());
        Assert.That(File.Exists(Path.Combine(report, "report.html")), Is.True);
        Assert.That(output.ToString(), Does.Contain("report: "));
    }

    [Test, CancelAfter(30_000)]
    public async Task RunAsync_DryRun_PrintsThePlanAndWritesNothing(CancellationToken cancellationToken)
    {
        var (session, executor, output) = NewSession();

        await session.RunAsync(TrialRunnerTests.SmallExperiment(), new SessionOptions { OutputDirectory = directory, DryRun = true }, cancellationToken);

        Assert.That(output.ToString(), Does.Contain("16 trials").And.Contain("dsl rtt 0ms loss 1%: 8 trials, 2 sites x 2 runs x 2 configurations"));
        Assert.That(executor.Ran, Is.Empty);
        Assert.That(Directory.GetFileSystemEntries(directory), Is.Empty);
    }

    [Test, CancelAfter(30_000)]
    public async Task RunAsync_ResumeOfAMissingDatabase_IsAUsageError(CancellationToken cancellationToken)
    {
        var (session, _, _) = NewSession();
        var options = new SessionOptions { OutputDirectory = Path.Combine(directory, "nothing"), Resume = true };

        var e = await Assert.ThrowsAsync<UsageException>(() => session.RunAsync(TrialRunnerTests.SmallExperiment(), options, cancellationToken));

        Assert.That(e!.Message, Does.StartWith("--resume:").And.Contain("does not exist"));
    }

    [Test]
    public void RunCommandBuild_PresetAndProtocols_MakeOneBlock_AndBadFlagsNameTheFlag()
    {
        var experiment = RunCommand.Build(new RunCommand.RunFlags
        {
            Sites = ["google"], Link = "cable", Loss = "1%", Protocols = "http/1.1,spdy/3", SingleDomain = true, Runs = 3,
        });
        var plan = ExperimentMatrix.Expand(experiment, () => []);
        Assert.That(plan, Has.Count.EqualTo(2 * 3));
        Assert.That(plan.All(t => t.Condition.Link.Name == "cable" && t.Condition.Loss == 0.01 && t.Configuration.DomainMode == "single"), Is.True);

        var e = Assert.Throws<UsageException>(() => RunCommand.Build(new RunCommand.RunFlags { Sites = ["google"], Link = "dls" }));
        Assert.That(e!.Message, Does.StartWith("--link: 'dls' is not a preset; accepted: dsl, cable"));
        e = Assert.Throws<UsageException>(() => RunCommand.Build(new RunCommand.RunFlags { Sites = ["g"], Down = "2mbps", Up = "1mbit" }));
        Assert.That(e!.Message, Does.StartWith("--down: '2mbps' is ambiguous"));
        e = Assert.Throws<UsageException>(() => RunCommand.Build(new RunCommand.RunFlags { Sites = ["g"], Link = "dsl", Protocols = "http/1.1", Push = true }));
        Assert.That(e!.Message, Does.Contain("needs a multiplexed protocol"));
    }
}
