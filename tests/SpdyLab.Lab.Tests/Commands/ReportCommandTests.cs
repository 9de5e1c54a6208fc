using System.CommandLine;
using SpdyLab.Lab.Commands;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Commands;

public class ReportCommandTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("spdylab-report-cmd-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    private static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(ReportCommand.Create());
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            return (await root.Parse(args).InvokeAsync(), error.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task Report_NoPng_WritesMarkdownHtmlAndCsvIntoTheDefaultFolder()
    {
        var db = Path.Combine(directory, "exp.db");
        using (var store = ResultsStore.Create(db, new ExperimentInfo("exp", "", "test", "m", DateTimeOffset.UnixEpoch)))
        {
            foreach (var (protocol, domain, plt) in new[] { (Protocols.Http11, DomainModes.Multi, 2000.0), (Protocols.Spdy3, DomainModes.Single, 1200.0) })
            {
                var trial = new TrialRecord
                {
                    Experiment = "exp", Design = Designs.Table1, Site = "a.com", Link = "dsl", Protocol = protocol, DomainMode = domain, PltMs = plt,
                    StartedAt = DateTimeOffset.UnixEpoch,
                };
                trial.TrialKey = trial.DefaultKey();
                store.Record(trial);
            }
        }
        var (code, _) = await RunAsync("report", "--results", db, "--no-png", "--resamples", "200");
        Assert.That(code, Is.Zero);
        var output = Path.Combine(directory, "exp-report");
        Assert.That(File.ReadAllText(Path.Combine(output, "report.md")), Does.Contain("| TCP | SPDY/3 basic single-domain | 1200.0 n=1 | 40.0% n=1 |"));
        Assert.That(File.Exists(Path.Combine(output, "report.html")), Is.True);
        Assert.That(File.Exists(Path.Combine(output, "tables", "table1.csv")), Is.True);
        Assert.That(File.Exists(Path.Combine(output, "charts", "table1-plt.svg")), Is.True);
    }

    [Test, CancelAfter(30_000)]
    public async Task Report_BadScale_IsAUsageErrorNamingTheOption()
    {
        var (code, error) = await RunAsync("report", "--results", "x.db", "--png-scale", "9");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--png-scale: 9 is out of range; accepted: 1 to 4"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Report_NotAResultsDatabase_IsAUsageError()
    {
        var path = Path.Combine(directory, "notes.db");
        await File.WriteAllTextAsync(path, "not sqlite at all, just text that is long enough to not be an empty database file.....");
        var (code, error) = await RunAsync("report", "--results", path, "--no-png");
        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("--results:"));
    }
}
