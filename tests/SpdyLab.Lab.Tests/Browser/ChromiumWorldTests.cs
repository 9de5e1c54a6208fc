using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;
using SpdyLab.Lab.Tests.Runner;
using SpdyLab.Results;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.Browser;

/// <summary>Chromium through real worlds (root): an experiment with client: chromium, HTTP/1.1 and h2 over TLS.</summary>
[NonParallelizable]
public class ChromiumWorldTests
{
    private string directory = "";
    private string? savedHome;

    [SetUp]
    public void CreateHome()
    {
        RootCheck.RequireRoot();
        if (ChromiumLauncher.WhyUnavailable() is { } problem) Assert.Ignore(problem);
        directory = Directory.CreateTempSubdirectory("spdylab-chromium-world-").FullName;
        savedHome = Environment.GetEnvironmentVariable("SPDYLAB_HOME");
        Environment.SetEnvironmentVariable("SPDYLAB_HOME", directory);
        TestSites.Write(Path.Combine(directory, "sites"), "alpha", images: 6);
    }

    [TearDown]
    public void RestoreHome()
    {
        if (directory.Length == 0) return;
        Environment.SetEnvironmentVariable("SPDYLAB_HOME", savedHome);
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>
    /// The CI check: a generated site loaded by Chromium through a world over HTTP/1.1 and h2 (TLS,
    /// two hosts on two addresses): each trial ok in the database with client = chromium, the protocol
    /// negotiated as asked (a mismatch fails the trial), every resource of the snapshot in Resource Timing,
    /// load times above the link's round trips, packets counted by the link.
    /// </summary>
    [Test, CancelAfter(120_000)]
    public async Task Sweep_ClientChromium_OverHttp11AndH2_StoresEveryLoadWithEveryResource(CancellationToken cancellationToken)
    {
        var experiment = ExperimentLoader.Parse("""
            experiment: ci-chromium
            client: chromium
            runs: 1
            rtt: 40ms
            sites: [alpha]
            trial_timeout: 60s
            designs:
              - design: custom
                links: [cable]
                configurations: [{protocol: http/1.1, transport: tls}, {protocol: h2, transport: tls}]
            """, "ci-chromium.yaml");
        var output = new StringWriter();
        var session = new ExperimentSession(SiteSource.ListOrFail, TrialExecutors.CreateDefault, output);
        var options = new SessionOptions { OutputDirectory = Path.Combine(directory, "out"), Parallel = 1, CapturePackets = true };

        var code = await session.RunAsync(experiment, options, cancellationToken);

        using var store = ResultsStore.Open(Path.Combine(directory, "out", ExperimentSession.DatabaseName));
        var trials = store.ReadTrials();
        Assert.That(trials, Has.Count.EqualTo(2), output.ToString());
        Assert.That(trials.Where(t => !t.IsOk).Select(t => t.Error), Is.Empty, output.ToString());
        Assert.That(code, Is.EqualTo(0));
        var snapshot = Snapshot.Load(Path.Combine(directory, "sites", "alpha"));
        foreach (var trial in trials)
        {
            Assert.That(trial.Client, Is.EqualTo(Clients.Chromium));
            Assert.That(trial.PltMs, Is.GreaterThan(2 * 40), "TCP and TLS handshakes and the document take round trips of 40 ms");
            Assert.That(trial.TtfbMs, Is.LessThan(trial.PltMs!.Value));
            Assert.That(trial.PacketsDown, Is.GreaterThan(10));
            // Resource Timing holds every recorded subresource, plus Chromium's own /favicon.ico; the HAR names them.
            Assert.That(trial.Requests, Is.GreaterThanOrEqualTo(snapshot.Exchanges.Count));
            var har = File.ReadAllText(Path.Combine(directory, "out", trial.HarPath!));
            foreach (var exchange in snapshot.Exchanges)
                Assert.That(har, Does.Contain($"https://{exchange.Host}{exchange.Path}"), $"{trial.Protocol}: {exchange.Host}{exchange.Path}");
            Assert.That(har, Does.Contain(trial.Protocol == "h2" ? "\"httpVersion\":\"HTTP/2.0\"" : "\"httpVersion\":\"HTTP/1.1\""));
            Assert.That(har, Does.Not.Contain(trial.Protocol == "h2" ? "\"httpVersion\":\"HTTP/1.1\"" : "\"httpVersion\":\"HTTP/2.0\""));
        }
        Assert.That(Directory.GetFiles("/run/netns").Where(f => Path.GetFileName(f).StartsWith($"spdylab-{Environment.ProcessId}-", StringComparison.Ordinal)),
            Is.Empty, "no world left behind");
    }
}
