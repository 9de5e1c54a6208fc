using Microsoft.Data.Sqlite;

namespace SpdyLab.Results.Tests;

public class ResultsStoreTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("spdylab-results-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    private string DbPath => Path.Combine(directory, "experiment.db");

    private static readonly ExperimentInfo Info =
        new("paper", "name: paper\nruns: 10\n", "0.1.0-test", "test-machine", new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero));

    internal static TrialRecord Trial(string site, int run, string protocol = Protocols.Http11, double plt = 1000) => new TrialRecord
    {
        Experiment = "paper",
        Design = Designs.Table1,
        StartedAt = new DateTimeOffset(2026, 11, 22, 1, 2, 3, 456, TimeSpan.Zero),
        FinishedAt = new DateTimeOffset(2026, 11, 22, 1, 2, 5, TimeSpan.Zero),
        Site = site,
        RunIndex = run,
        Seed = 1000 + run,
        Link = "dsl",
        DownBps = 2_000_000,
        UpBps = 375_000,
        RttMs = 20,
        Loss = 0.01,
        Queue = "droptail:64",
        Protocol = protocol,
        DomainMode = protocol == Protocols.Http11 ? DomainModes.Multi : DomainModes.Single,
        PltMs = plt,
        TtfbMs = 120.5,
        Requests = 42,
        HeaderBytesUpRaw = 20_000,
        HeaderBytesUpWire = 2_400,
        PacketsDown = 700,
        DropsLossDown = 7,
        HarPath = $"har/{site}-{run}.har",
    }.WithDefaultKey();

    [Test]
    public void Record_ThenReadTrials_ReturnsEveryColumnAsWritten()
    {
        var trial = Trial("google.com", 3, Protocols.Spdy31, 1234.5678);
        trial.Error = null;
        trial.Parallel = 2;
        using (var store = ResultsStore.Create(DbPath, Info))
        {
            Assert.That(store.Record(trial), Is.True);
            Assert.That(trial.Id, Is.EqualTo(1));
        }

        using var reopened = ResultsStore.Open(DbPath);
        var read = reopened.ReadTrials().Single();
        foreach (var column in TrialColumns.All)
        {
            Assert.That(column.Get(read), Is.EqualTo(column.Get(trial)), column.Name);
        }
        Assert.That(read.StartedAt, Is.EqualTo(trial.StartedAt));
        Assert.That(read.PltMs, Is.EqualTo(1234.5678));
        Assert.That(read.TtfbMs, Is.EqualTo(120.5));
        Assert.That(read.DclMs, Is.Null);
    }

    [Test]
    public void Create_WritesMetaWithSchemaVersion()
    {
        using (ResultsStore.Create(DbPath, Info)) { }
        using var store = ResultsStore.Open(DbPath);
        Assert.That(store.SchemaVersion, Is.EqualTo(ResultsStore.CurrentSchemaVersion));
        Assert.That(store.ExperimentName, Is.EqualTo("paper"));
        Assert.That(store.Meta[ResultsStore.MetaKeys.ExperimentFile], Is.EqualTo(Info.ExperimentFileText));
        Assert.That(store.Meta[ResultsStore.MetaKeys.LabVersion], Is.EqualTo("0.1.0-test"));
        Assert.That(store.Meta[ResultsStore.MetaKeys.Machine], Is.EqualTo("test-machine"));
        Assert.That(store.Meta[ResultsStore.MetaKeys.StartedAt], Is.EqualTo("2026-11-22T01:00:00.0000000Z"));
    }

    [Test]
    public void Create_UsesWriteAheadLog()
    {
        using var store = ResultsStore.Create(DbPath, Info);
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.That(command.ExecuteScalar(), Is.EqualTo("wal"));
    }

    [Test]
    public void Create_WhenFileExists_Throws()
    {
        using (ResultsStore.Create(DbPath, Info)) { }
        Assert.That(() => ResultsStore.Create(DbPath, Info), Throws.TypeOf<IOException>().With.Message.Contains("already exists"));
    }

    [Test]
    public void Record_SameKeyAlreadyOk_KeepsTheFirstAndReturnsFalse()
    {
        using var store = ResultsStore.Create(DbPath, Info);
        store.Record(Trial("a.com", 0, plt: 1000));
        Assert.That(store.Record(Trial("a.com", 0, plt: 2000)), Is.False);
        Assert.That(store.ReadTrials().Single().PltMs, Is.EqualTo(1000));
    }

    [Test]
    public void Record_SameKeyPreviouslyFailed_ReplacesTheFailure()
    {
        using var store = ResultsStore.Create(DbPath, Info);
        var failed = Trial("a.com", 0);
        failed.Status = TrialStatus.Failed;
        failed.Error = "timeout after 60 s";
        failed.PltMs = null;
        store.Record(failed);
        Assert.That(store.CompletedTrialKeys(), Is.Empty);

        Assert.That(store.Record(Trial("a.com", 0, plt: 900)), Is.True);
        var row = store.ReadTrials().Single();
        Assert.That((row.Status, row.Error, row.PltMs), Is.EqualTo((TrialStatus.Ok, (string?)null, (double?)900)));
    }

    [Test]
    public void OpenOrCreate_AfterAnInterruptedRun_KnowsWhichTrialsToSkip()
    {
        using (var first = ResultsStore.OpenOrCreate(DbPath, Info))
        {
            first.Record(Trial("a.com", 0));
            first.Record(Trial("a.com", 1));
        }
        using var resumed = ResultsStore.OpenOrCreate(DbPath, Info with { Name = "ignored on resume" });
        Assert.That(resumed.CompletedTrialKeys(), Is.EquivalentTo(new[] { Trial("a.com", 0).TrialKey, Trial("a.com", 1).TrialKey }));
        Assert.That(resumed.ExperimentName, Is.EqualTo("paper"));
        resumed.Record(Trial("a.com", 2));
        Assert.That(resumed.CountTrials(), Is.EqualTo(3));
    }

    [Test]
    public void Record_FromManyThreads_StoresEveryTrial()
    {
        using var store = ResultsStore.Create(DbPath, Info);
        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => store.Record(Trial("site" + (i % 5), i)));
        Assert.That(store.CountTrials(TrialStatus.Ok), Is.EqualTo(40));
    }

    [Test]
    public void Open_UnknownSchemaVersion_SaysWhichVersionsAndWhatToDo()
    {
        using (var store = ResultsStore.Create(DbPath, Info))
        {
            store.SetMeta(ResultsStore.MetaKeys.SchemaVersion, "99");
        }
        Assert.That(() => ResultsStore.Open(DbPath), Throws.TypeOf<ResultsFormatException>()
            .With.Message.Contains("schema version '99'").And.Message.Contains($"reads version {ResultsStore.CurrentSchemaVersion}").And.Message.Contains("newer"));
    }

    [Test]
    public void Open_NotAResultsDatabase_SaysSo()
    {
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE other (x INTEGER);";
            command.ExecuteNonQuery();
        }
        Assert.That(() => ResultsStore.Open(DbPath), Throws.TypeOf<ResultsFormatException>().With.Message.Contains("not a SpdyLab results database"));
    }

    [Test]
    public void Open_MissingFile_ThrowsFileNotFound()
    {
        Assert.That(() => ResultsStore.Open(DbPath), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("no such results database"));
    }

    [Test]
    public void Record_UnknownProtocol_NamesColumnAndAcceptedValues()
    {
        using var store = ResultsStore.Create(DbPath, Info);
        var trial = Trial("a.com", 0);
        trial.Protocol = "spdy/4";
        Assert.That(() => store.Record(trial), Throws.ArgumentException
            .With.Message.Contains("protocol: 'spdy/4'").And.Message.Contains("spdy/3.1"));
        Assert.That(store.CountTrials(), Is.Zero);
    }

    [Test]
    public void Record_OkTrialWithoutPageLoadTime_IsRejected()
    {
        using var store = ResultsStore.Create(DbPath, Info);
        var trial = Trial("a.com", 0);
        trial.PltMs = null;
        Assert.That(() => store.Record(trial), Throws.ArgumentException.With.Message.Contains("plt_ms"));
    }

    [Test]
    public void DefaultKey_DiffersForEveryDefiningParameter()
    {
        var baseline = Trial("a.com", 0);
        var variants = new Action<TrialRecord>[]
        {
            t => t.Site = "b.com", t => t.RunIndex = 1, t => t.Link = "cable", t => t.RttMs = 200, t => t.Loss = 0.02,
            t => t.Protocol = Protocols.Spdy3, t => t.Transport = Transports.Tls, t => t.DomainMode = DomainModes.Single,
            t => t.Feature = Features.Push, t => t.Client = Clients.Chromium, t => t.Design = Designs.Table2,
        };
        foreach (var change in variants)
        {
            var variant = baseline.Clone();
            change(variant);
            Assert.That(variant.DefaultKey(), Is.Not.EqualTo(baseline.DefaultKey()));
        }
    }

    [Test]
    public void ResolveArtifact_RelativePath_IsUnderTheDatabaseDirectory()
    {
        using var store = ResultsStore.Create(DbPath, Info);
        Assert.That(store.ResolveArtifact("har/a.har"), Is.EqualTo(Path.Combine(directory, "har/a.har")));
        Assert.That(store.ResolveArtifact("/tmp/x.har"), Is.EqualTo("/tmp/x.har"));
    }

    [Test]
    public void TrialsTable_HasTheDocumentedColumns()
    {
        using var store = ResultsStore.Create(DbPath, Info);
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info('trials') ORDER BY cid;";
        var names = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }
        }
        Assert.That(names, Is.EqualTo(TrialColumns.All.Select(c => c.Name)));
        var docs = Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../../docs/results.md");
        if (File.Exists(docs))
        {
            var text = File.ReadAllText(docs);
            Assert.That(names.Where(n => !text.Contains($"`{n}`", StringComparison.Ordinal)), Is.Empty, "columns missing from docs/results.md");
        }
    }
}

internal static class TrialRecordTestExtensions
{
    public static TrialRecord WithDefaultKey(this TrialRecord trial)
    {
        trial.TrialKey = trial.DefaultKey();
        return trial;
    }
}
