using System.Diagnostics;
using System.Net;
using SpdyLab.Emulator.Link;
using SpdyLab.Emulator.Worlds;
using SpdyLab.Lab.Commands;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;
using SpdyLab.Results;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.Runner;

/// <summary>Real worlds (root): the replay server inside a world's server namespace, and whole experiments.</summary>
[NonParallelizable]
public class WorldTrialTests
{
    private string directory = "";
    private string? savedHome;

    [SetUp]
    public void CreateHome()
    {
        directory = Directory.CreateTempSubdirectory("spdylab-world-trials-").FullName;
        savedHome = Environment.GetEnvironmentVariable("SPDYLAB_HOME");
        Environment.SetEnvironmentVariable("SPDYLAB_HOME", directory);
        TestSites.Write(Path.Combine(directory, "sites"), "alpha", images: 4);
        TestSites.Write(Path.Combine(directory, "sites"), "beta", images: 7);
    }

    [TearDown]
    public void RestoreHome()
    {
        Environment.SetEnvironmentVariable("SPDYLAB_HOME", savedHome);
        Directory.Delete(directory, recursive: true);
    }

    [Test, CancelAfter(60_000)]
    public async Task ReplayServer_InTheServerNamespace_ServesTheSnapshotToTheClientNamespaceAcrossTheLink(CancellationToken cancellationToken)
    {
        RootCheck.RequireRoot();
        var snapshot = Snapshot.Load(Path.Combine(directory, "sites", "alpha"));
        using var world = World.Create(new WorldOptions
        {
            HostSide = HostSide.ServerNamespace,
            Link = new LinkOptions { Down = "4mbit", Up = "1mbit", Rtt = "40ms" }.ToSpec(),
        });
        var cdnAddress = world.AddHostAddress();
        var endpoints = new[] { new IPEndPoint(world.HostAddress, 80), new IPEndPoint(cdnAddress, 80) };
        await using var server = await ReplayServer.StartAsync(world, inClientNamespace: false, endpoints, new SnapshotReplayOptions { Snapshot = snapshot },
            null, null, cancellationToken);

        var curl = world.ClientProcess("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}",
            "--resolve", $"static.alpha.test:80:{cdnAddress}", "http://static.alpha.test/img3.png"]);
        curl.RedirectStandardOutput = true;
        using var process = Process.Start(curl)!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);

        var fields = output.Split(' ');
        Assert.That(fields[0], Is.EqualTo("200"), output);
        Assert.That(fields[1], Is.EqualTo("5500"));
        Assert.That(double.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0.08), "two round trips of 40 ms at least");
        Assert.That(world.Down.Counters.PacketsIn, Is.GreaterThan(3), "the bytes crossed the emulated link");
    }

    /// <summary>A multi-domain server (several addresses) leaves no socket behind once stopped (it once left
    /// one per further address, and with it the world's namespace).</summary>
    [Test, CancelAfter(60_000)]
    public async Task ReplayServer_SeveralAddresses_LeavesNoSocketBehind(CancellationToken cancellationToken)
    {
        RootCheck.RequireRoot();
        var snapshot = Snapshot.Load(Path.Combine(directory, "sites", "alpha"));
        int SocketCount() => Directory.GetFiles("/proc/self/fd").Count(fd =>
        {
            try { return new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true; }
            catch (IOException) { return false; }
        });
        int before = SocketCount();
        for (int round = 0; round < 3; round++)
        {
            using var world = World.Create(new WorldOptions
            {
                HostSide = HostSide.ServerNamespace,
                Link = new LinkOptions { Down = "100mbit", Up = "100mbit", Rtt = "1ms" }.ToSpec(),
            });
            var endpoints = new[] { new IPEndPoint(world.HostAddress, 80), new IPEndPoint(world.AddHostAddress(), 80), new IPEndPoint(world.AddHostAddress(), 80) };
            await using var server = await ReplayServer.StartAsync(world, inClientNamespace: false, endpoints, new SnapshotReplayOptions { Snapshot = snapshot },
                null, null, cancellationToken);
        }
        await Task.Delay(300, cancellationToken);
        int afterStop = SocketCount();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TestContext.Out.WriteLine($"sockets: {before} before, {afterStop} after three servers stopped, {SocketCount()} after a GC");
        Assert.That(afterStop, Is.LessThanOrEqualTo(before + 1), "sockets left after three multi-address servers stopped");
    }

    /// <summary>
    /// The CI experiment: two generated sites, two links, HTTP vs SPDY, two runs, two worlds at
    /// a time; every trial in the database; then a resumed run repeats nothing.
    /// </summary>
    [Test, CancelAfter(240_000)]
    public async Task Sweep_SmallExperimentInRealWorlds_RecordsEveryTrial_AndResumeRepeatsNone(CancellationToken cancellationToken)
    {
        RootCheck.RequireRoot();
        if (!CommandCatalog.All().Any(c => c.Name == "load")) Assert.Ignore("the page loader (spdylab load) is not in this build yet");
        var experiment = ExperimentLoader.Parse("""
            experiment: ci
            runs: 2
            rtt: 20ms
            sites: [alpha, beta]
            trial_timeout: 60s
            designs:
              - design: table1
                links: [cable, fios]
                loss: 1%
                configurations: [{protocol: http/1.1}, {protocol: spdy/3, domain: single}]
            """, "ci.yaml");
        var output = new StringWriter();
        var session = new ExperimentSession(SiteSource.ListOrFail, TrialExecutors.CreateDefault, output);
        var options = new SessionOptions { OutputDirectory = Path.Combine(directory, "out"), Parallel = 2 };

        var code = await session.RunAsync(experiment, options, cancellationToken);

        int failedFirst;
        string? spdyMissing;
        using (var store = ResultsStore.Open(Path.Combine(directory, "out", ExperimentSession.DatabaseName)))
        {
            var trials = store.ReadTrials();
            Assert.That(trials, Has.Count.EqualTo(16), output.ToString());
            var http = trials.Where(t => t.Protocol == "http/1.1").ToList();
            Assert.That(http.Where(t => !t.IsOk).Select(t => t.Error), Is.Empty, output.ToString());
            Assert.That(http.All(t => t.PltMs > 0 && t.PacketsDown > 0 && t.LinkBytesDown > 0 && t.Requests == (t.Site == "alpha" ? 6 : 9)), Is.True);
            Assert.That(trials.Select(t => t.Parallel).Max(), Is.EqualTo(2));
            var spdy = trials.Where(t => t.Protocol == "spdy/3").ToList();
            // Until the loader has its SPDY transport, every SPDY trial fails with the loader's own message.
            spdyMissing = spdy.Select(t => t.Error).FirstOrDefault(e => e?.Contains("no SPDY transport") == true);
            if (spdyMissing is null)
            {
                Assert.That(spdy.Where(t => !t.IsOk).Select(t => t.Error), Is.Empty, output.ToString());
                Assert.That(spdy.All(t => t.Connections == 1), Is.True, "single-domain SPDY: one session");
                Assert.That(code, Is.EqualTo(0));
            }
            failedFirst = trials.Count(t => !t.IsOk);
        }
        Assert.That(Directory.GetFiles("/run/netns").Where(f => Path.GetFileName(f).StartsWith($"spdylab-{Environment.ProcessId}-", StringComparison.Ordinal)),
            Is.Empty, "no world left behind");

        // Resume: finished trials are not repeated; failed ones are retried.
        var again = new StringWriter();
        await new ExperimentSession(SiteSource.ListOrFail, TrialExecutors.CreateDefault, again)
            .RunAsync(experiment, options with { Resume = true }, cancellationToken);
        Assert.That(again.ToString(), Does.Contain($"{failedFirst} trials run").And.Contain($"{16 - failedFirst} already done"));
        using (var store = ResultsStore.Open(Path.Combine(directory, "out", ExperimentSession.DatabaseName)))
        {
            Assert.That(store.CountTrials(), Is.EqualTo(16));
        }
        if (spdyMissing is not null) Assert.Ignore($"HTTP trials, database and resume checked; SPDY trials failed: {spdyMissing}");
    }
}
