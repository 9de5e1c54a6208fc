using SpdyLab.Results;

namespace SpdyLab.Reports.Tests.Fixtures;

/// <summary>Builds results databases for the tests, through the store's own API (as the lab runner would).</summary>
internal sealed class Fixture : IDisposable
{
    public Fixture(string name = "fixture")
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("spdylab-report-").FullName;
        DatabasePath = Path.Combine(Directory, name + ".db");
        Store = ResultsStore.Create(DatabasePath, new ExperimentInfo(name, "name: " + name + "\n", "test", "test machine", new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero)));
    }

    public string Directory { get; }
    public string DatabasePath { get; }
    public ResultsStore Store { get; }

    public static TrialRecord Trial(string design, string site, int run, string link, string protocol, string domain, string feature, double plt,
        string transport = Transports.Tcp, double loss = 0.01, double rtt = 50)
    {
        var (down, up) = link == "dsl" ? (2_000_000L, 375_000L) : (4_000_000L, 1_000_000L);
        var trial = new TrialRecord
        {
            Experiment = "fixture", Design = design, Site = site, RunIndex = run, Seed = 100 + run, Link = link, DownBps = down, UpBps = up,
            RttMs = rtt, Loss = loss, Queue = "droptail:64", Protocol = protocol, Transport = transport, DomainMode = domain, Feature = feature,
            StartedAt = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero).AddSeconds(run), PltMs = plt,
        };
        trial.TrialKey = trial.DefaultKey();
        return trial;
    }

    public void Add(TrialRecord trial) => Store.Record(trial);

    public void Dispose()
    {
        Store.Dispose();
        if (Environment.GetEnvironmentVariable("SPDYLAB_KEEP_FIXTURES") is null)
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
