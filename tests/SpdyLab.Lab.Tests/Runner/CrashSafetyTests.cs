using System.Diagnostics;
using System.Globalization;
using SpdyLab.Lab.Runner;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Runner;

/// <summary>
/// Issue 10's runner hardening, with real processes and real worlds (root): `spdylab sweep` is SIGKILLed at
/// random moments and resumed; at the end every trial is in the database once, no finished trial was lost
/// or run again, and no world (namespace, process) of a killed run is left. Two experiments at once do
/// not collide. SPDYLAB_KILL_ROUNDS raises the number of kills (default 3) for a longer run by hand.
/// </summary>
[NonParallelizable]
public class CrashSafetyTests
{
    private const string ExperimentYaml = """
        experiment: crash
        runs: 10
        rtt: 40ms
        sites: [alpha, beta]
        trial_timeout: 60s
        designs:
          - design: table1
            links: [cable]
            loss: [0%, 1%]
            configurations: [{protocol: http/1.1}, {protocol: spdy/3, domain: single}]
        """;
    private const int PlannedTrials = 2 * 2 * 2 * 10;

    private string directory = "";

    [SetUp]
    public void CreateHome()
    {
        directory = Directory.CreateTempSubdirectory("spdylab-crash-").FullName;
        TestSites.Write(Path.Combine(directory, "home", "sites"), "alpha", images: 3);
        TestSites.Write(Path.Combine(directory, "home", "sites"), "beta", images: 5);
        File.WriteAllText(Path.Combine(directory, "crash.yaml"), ExperimentYaml);
    }

    [TearDown]
    public void DeleteHome() => Directory.Delete(directory, recursive: true);

    [Test, CancelAfter(240_000)]
    public async Task Sweep_KilledAtRandomPointsThenResumed_KeepsEveryFinishedTrialOnce_AndLeavesNoWorld(CancellationToken cancellationToken)
    {
        RootCheck.RequireRoot();
        int kills = int.TryParse(Environment.GetEnvironmentVariable("SPDYLAB_KILL_ROUNDS"), out var k) ? k : 3;
        var random = new Random(20261122);
        var output = Path.Combine(directory, "out");
        var pids = new List<int>();
        var finished = new Dictionary<string, string>(); // trial key -> finished_at of its ok row
        int killed = 0;
        for (int round = 0; round < kills; round++)
        {
            // Start-up (runtime, JIT, first world) takes one to three seconds here; kill anywhere from
            // before the first trial to well into the run.
            var delay = TimeSpan.FromMilliseconds(random.Next(800, 4500));
            using var process = StartSweep(output, resume: round > 0);
            pids.Add(process.Id);
            bool exited = await WaitAsync(process, delay, cancellationToken);
            if (exited)
            {
                Assert.That(process.ExitCode, Is.EqualTo(0), $"round {round}: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
                CheckFinishedTrialsKept(output, finished);
                break; // it finished before the kill came
            }
            process.Kill(); // SIGKILL: no handler runs
            await process.WaitForExitAsync(cancellationToken);
            killed++;
            int before = finished.Count;
            var leftBehind = Directory.GetFiles("/run/netns", $"spdylab-{process.Id}-*").Length;
            CheckFinishedTrialsKept(output, finished);
            TestContext.Out.WriteLine($"kill {killed}: after {delay.TotalSeconds:0.0} s, {finished.Count - before} new trials kept ({finished.Count} in all), " +
                                      $"{leftBehind} namespace(s) of the killed run left for the next start to reap");
        }

        using (var last = StartSweep(output, resume: true))
        {
            pids.Add(last.Id);
            var stdout = last.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = last.StandardError.ReadToEndAsync(cancellationToken);
            await last.WaitForExitAsync(cancellationToken);
            Assert.That(last.ExitCode, Is.EqualTo(0), await stderr);
            var text = await stdout;
            Assert.That(text, Does.Contain($"{finished.Count} already done"), text);
        }

        CheckFinishedTrialsKept(output, finished);
        Assert.That(finished, Has.Count.EqualTo(PlannedTrials), "every trial ok in the end");
        foreach (var pid in pids)
        {
            Assert.That(Directory.Exists($"/proc/{pid}"), Is.False, $"process {pid} gone");
            Assert.That(Directory.GetFiles("/run/netns", $"spdylab-{pid}-*"), Is.Empty, $"no namespace of run {pid} left (reaped by the next start)");
        }
        TestContext.Out.WriteLine($"{killed} SIGKILLs, {pids.Count} processes, {PlannedTrials} trials, none lost or repeated");
    }

    [Test, CancelAfter(240_000)]
    public async Task Sweep_TwoExperimentsAtOnce_DoNotCollide(CancellationToken cancellationToken)
    {
        RootCheck.RequireRoot();
        // No --out: both pick results/crash-TIMESTAMP in the same second; the second gets its own folder.
        using var first = StartSweep(null, resume: false);
        using var second = StartSweep(null, resume: false);
        var outputs = new List<string>();
        foreach (var process in new[] { first, second })
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            Assert.That(process.ExitCode, Is.EqualTo(0), await stderr);
            outputs.Add(await stdout);
        }
        var folders = Directory.GetDirectories(Path.Combine(directory, "results"), "crash-*");
        Assert.That(folders, Has.Length.EqualTo(2), string.Join("\n", outputs));
        foreach (var folder in folders)
        {
            using var store = ResultsStore.Open(Path.Combine(folder, ExperimentSession.DatabaseName));
            Assert.That(store.CountTrials(TrialStatus.Ok), Is.EqualTo(PlannedTrials), folder);
        }
        foreach (var pid in new[] { first.Id, second.Id })
        {
            Assert.That(Directory.GetFiles("/run/netns", $"spdylab-{pid}-*"), Is.Empty, "each run removed its own worlds");
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task Sweep_ResumeWhileTheRunIsAlive_IsRefused(CancellationToken cancellationToken)
    {
        RootCheck.RequireRoot();
        var output = Path.Combine(directory, "out");
        using var running = StartSweep(output, resume: false);
        // Wait until the first run holds the folder (its database exists), then try a second run on it.
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(output, ExperimentSession.DatabaseName)) && clock.Elapsed < TimeSpan.FromSeconds(30) && !running.HasExited)
        {
            await Task.Delay(50, cancellationToken);
        }
        using var resume = StartSweep(output, resume: true);
        var error = await resume.StandardError.ReadToEndAsync(cancellationToken);
        await resume.WaitForExitAsync(cancellationToken);
        running.Kill();
        await running.WaitForExitAsync(cancellationToken);
        if (running.ExitCode == 0) Assert.Inconclusive("the first run finished before the second started");
        Assert.That(resume.ExitCode, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("in use by another spdylab run"));
    }

    /// <summary>Every ok row seen before is still there, unchanged (not lost, not run again); new ok rows are remembered.</summary>
    private static void CheckFinishedTrialsKept(string output, Dictionary<string, string> finished)
    {
        var database = Path.Combine(output, ExperimentSession.DatabaseName);
        if (!File.Exists(database)) return; // killed before the database was made
        using var store = ResultsStore.Open(database);
        var rows = store.ReadTrials().Where(r => r.IsOk).ToDictionary(r => r.TrialKey, r => r.FinishedAt!.Value.ToString("O", CultureInfo.InvariantCulture));
        foreach (var (key, at) in finished)
        {
            Assert.That(rows.ContainsKey(key), Is.True, $"finished trial {key} lost");
            Assert.That(rows[key], Is.EqualTo(at), $"finished trial {key} ran again");
        }
        foreach (var (key, at) in rows) finished.TryAdd(key, at);
    }

    private Process StartSweep(string? output, bool resume)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var spdylab = typeof(ExperimentSession).Assembly.Location;
        // A test host's ProcessPath may be the testhost, not dotnet: run the CLI through the dotnet host then.
        if (!Path.GetFileNameWithoutExtension(start.FileName).Equals("dotnet", StringComparison.Ordinal)) start.FileName = "dotnet";
        foreach (var a in new[] { spdylab, "sweep", Path.Combine(directory, "crash.yaml"), "-j", "2", "--no-report" }) start.ArgumentList.Add(a);
        if (output is not null) { start.ArgumentList.Add("--out"); start.ArgumentList.Add(output); }
        if (resume) start.ArgumentList.Add("--resume");
        start.Environment["SPDYLAB_HOME"] = Path.Combine(directory, "home");
        start.Environment["SPDYLAB_ROOT"] = directory;
        start.Environment["DOTNET_TieredPGO"] = "0";
        return Process.Start(start) ?? throw new InvalidOperationException("could not start spdylab");
    }

    /// <summary>True when the process exited within <paramref name="time"/>.</summary>
    private static async Task<bool> WaitAsync(Process process, TimeSpan time, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(time);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
