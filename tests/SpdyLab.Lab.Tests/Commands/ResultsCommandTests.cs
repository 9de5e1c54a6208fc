using System.CommandLine;
using SpdyLab.Lab.Commands;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Commands;

public class ResultsCommandTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("spdylab-results-cmd-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    private static async Task<int> RunAsync(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(ResultsCommand.Create());
        return await root.Parse(args).InvokeAsync();
    }

    private string MakeDatabase()
    {
        var path = Path.Combine(directory, "x.db");
        using var store = ResultsStore.Create(path, new ExperimentInfo("x", "", "test", "m", DateTimeOffset.UnixEpoch));
        foreach (var (site, plt) in new[] { ("a.com", 1000.5), ("b,com", 2000.0) })
        {
            var trial = new TrialRecord
            {
                Experiment = "x", Site = site, Link = "dsl", PltMs = plt, StartedAt = DateTimeOffset.UnixEpoch, Error = "say \"hi\"",
            };
            trial.TrialKey = trial.DefaultKey();
            store.Record(trial);
        }
        return path;
    }

    [Test, CancelAfter(30_000)]
    public async Task Export_WritesHeaderAndOneQuotedRowPerTrial()
    {
        var db = MakeDatabase();
        var csv = Path.Combine(directory, "out/x.csv");
        Assert.That(await RunAsync("results", "export", "--results", db, "--csv", csv), Is.Zero);

        var lines = File.ReadAllLines(csv);
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[0].Split(','), Is.EqualTo(TrialColumns.All.Select(c => c.Name)));
        Assert.That(lines[1], Does.Contain(",a.com,").And.Contain(",1000.5,").And.Contain("\"say \"\"hi\"\"\""));
        Assert.That(lines[2], Does.Contain(",\"b,com\","));
    }

    [Test, CancelAfter(30_000)]
    public async Task Export_MissingDatabase_IsAUsageError()
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.That(await RunAsync("results", "export", "--results", Path.Combine(directory, "none.db"), "--csv", "-"), Is.EqualTo(2));
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.That(error.ToString(), Does.Contain("--results:").And.Contain("does not exist"));
    }
}
