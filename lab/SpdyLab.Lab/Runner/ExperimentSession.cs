using System.Globalization;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Runner;

public sealed record SessionOptions
{
    public ExperimentOverrides Overrides { get; init; } = new();
    public int Parallel { get; init; } = DefaultParallel;

    /// <summary>Output folder (results.db, summary.txt, artifacts/); null = results/NAME-TIMESTAMP under the repository.</summary>
    public string? OutputDirectory { get; init; }
    public bool Resume { get; init; }
    public bool CapturePackets { get; init; }

    /// <summary>Per-trial packet evidence (capture + TCP analysis); on unless --no-packet-evidence.</summary>
    public bool PacketEvidence { get; init; } = true;
    public bool DryRun { get; init; }

    /// <summary>When set, the parallelism check: every trial runs once at each of these levels, interleaved
    /// in rounds (<see cref="ParallelCheck"/>), and the result is the side-by-side table of medians.</summary>
    public IReadOnlyList<int>? ParallelCheck { get; init; }

    /// <summary>How to write the report (OUT/report) at the end; null = no report. The commands set it
    /// unless --no-report; tests pass one without PNG rendering so they need no Chromium.</summary>
    public Reports.ReportOptions? Report { get; init; }

    /// <summary>The command line, stored in the database's meta table.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>More entries for the database's meta table, for the report (`spdylab validate` stores its calibration
    /// cell and the snapshots' resource counts here).</summary>
    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The default parallelism: four worlds per core (8 on a 2-core machine), at most 16. A page load on these
    /// links waits on the emulated link far more than on the CPU (~0.17 s CPU per ~1.5 s trial), and with no
    /// blocking on pool threads and a pool sized for the worlds, -j 8 on 2 cores gives the same medians as
    /// -j 1 (docs/lab.md, "Parallelism"); the runner shows the CPU load so a user can see when it is too many.
    /// </summary>
    public static int DefaultParallel => Math.Clamp(Environment.ProcessorCount * WorldsPerCore, 1, 16);

    public const int WorldsPerCore = 4;
}

/// <summary>
/// Everything between "here is an experiment" and "here are its results": applies the overrides,
/// expands the matrix, opens (or resumes) the results database, runs the trials with progress, and
/// writes the summary. The three commands (reproduce, sweep, run) all come here.
/// </summary>
public sealed class ExperimentSession(Func<IReadOnlyList<string>> allSites, Func<ITrialExecutor> executorFactory, TextWriter output)
{
    public const string DatabaseName = "results.db";
    public const string SummaryName = "summary.txt";
    public const string ReportFolderName = "report";

    public async Task<int> RunAsync(Experiment experiment, SessionOptions options, CancellationToken cancellationToken)
    {
        experiment = options.Overrides.ApplyTo(experiment);
        var plan = ExperimentMatrix.Expand(experiment, allSites);
        output.WriteLine($"experiment {experiment.Name}: {Describe(experiment, plan)}");
        if (options.DryRun)
        {
            output.WriteLine(PlanTable(experiment, plan));
            return 0;
        }

        var (directory, runLock) = ClaimOutputDirectory(experiment.Name, options);
        using var heldLock = runLock;
        var databasePath = Path.Combine(directory, DatabaseName);
        if (File.Exists(databasePath) && !options.Resume)
        {
            throw new Commands.UsageException($"{databasePath} exists; add --resume to continue that run, or choose another --out");
        }
        if (!File.Exists(databasePath) && options.Resume && options.OutputDirectory is not null)
        {
            throw new Commands.UsageException($"--resume: {databasePath} does not exist; nothing to resume (drop --resume to start a new run)");
        }
        using var store = ResultsStore.OpenOrCreate(databasePath,
            ExperimentInfo.StartingNow(experiment.Name, experiment.SourceText, LabVersion()));
        if (store.ExperimentName != experiment.Name)
        {
            throw new Commands.UsageException($"{databasePath} holds experiment '{store.ExperimentName}', not '{experiment.Name}'; choose another --out");
        }
        store.SetMeta("command_line", options.CommandLine);
        store.SetMeta("parallel", options.Parallel.ToString(CultureInfo.InvariantCulture));
        foreach (var (key, value) in options.Meta) store.SetMeta(key, value);
        output.WriteLine($"results: {databasePath}");

        var executor = executorFactory();
        var runnerOptions = new RunnerOptions
        {
            Parallel = options.Parallel,
            TrialTimeout = experiment.TrialTimeout,
            CapturePackets = options.CapturePackets,
            PacketEvidence = options.PacketEvidence,
            ArtifactRoot = Path.Combine(directory, "artifacts"),
        };
        if (options.ParallelCheck is { Count: > 0 } levels)
        {
            return await RunParallelCheckAsync(plan, levels, executor, store, runnerOptions, directory, cancellationToken);
        }
        var progress = new ConsoleRunProgress();
        using var gcPauses = new GcPauseProbe();
        var cpuBefore = ProcessCpu.TotalSeconds();
        var outcome = await progress.RunAsync(p => new TrialRunner(executor, store, runnerOptions, p).RunAsync(plan, cancellationToken));
        if (progress.MeanCpuLoad is { } cpu) store.SetMeta("cpu_load_mean", cpu.ToString("0.###", CultureInfo.InvariantCulture));

        var summary = SummaryTables.Render(store.ReadTrials());
        await File.WriteAllTextAsync(Path.Combine(directory, SummaryName), summary, CancellationToken.None);
        output.WriteLine();
        output.WriteLine(summary);
        var cpuText = progress.MeanCpuLoad is { } load ? $", mean CPU load {load * 100:0}%" : "";
        output.WriteLine($"this session: {outcome.Ran} trials run ({outcome.Succeeded} ok, {outcome.Failed} failed), " +
                         $"{outcome.SkippedAsDone} already done, in {ConsoleRunProgress.FormatDuration(outcome.Elapsed)}{cpuText}");
        if (outcome.Ran > 0)
        {
            var cpuPerTrial = (ProcessCpu.TotalSeconds() - cpuBefore) / outcome.Ran;
            var perTrial = outcome.Elapsed.TotalSeconds / outcome.Ran;
            var rate = outcome.Ran / Math.Max(outcome.Elapsed.TotalMinutes, 1e-9);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"throughput: {rate:0.0} trials/min, {perTrial:0.00} s wall and {cpuPerTrial:0.00} s CPU (this process and its children) per trial at -j {options.Parallel}, " +
                $"load average {LoadAverage()}"));
            store.SetMeta("cpu_seconds_per_trial", cpuPerTrial.ToString("0.###", CultureInfo.InvariantCulture));
            output.WriteLine(gcPauses.Report());
        }
        if (TrialProfile.Enabled) output.WriteLine(TrialProfile.Report());
        output.WriteLine($"results: {databasePath}  (./spdylab results info --results {databasePath})");
        if (options.Report is { } reportOptions && !outcome.Interrupted && outcome.Succeeded + outcome.SkippedAsDone > 0)
        {
            await WriteReportAsync(databasePath, Path.Combine(directory, ReportFolderName), reportOptions, cancellationToken);
        }
        if (outcome.AbortReason is not null)
        {
            await Console.Error.WriteLineAsync(outcome.AbortReason);
            return Commands.CommandActions.RuntimeError;
        }
        if (outcome.Interrupted)
        {
            await Console.Error.WriteLineAsync($"interrupted; continue with --resume --out {directory}");
            return 130;
        }
        return outcome.Failed > 0 && outcome.Succeeded == 0 ? Commands.CommandActions.RuntimeError : 0;
    }

    private async Task<int> RunParallelCheckAsync(IReadOnlyList<PlannedTrial> plan, IReadOnlyList<int> levels, ITrialExecutor executor,
        ResultsStore store, RunnerOptions runnerOptions, string directory, CancellationToken cancellationToken)
    {
        var rounds = ParallelCheck.Rounds(plan, levels);
        output.WriteLine($"parallelism check: {plan.Count} trials at each of -j {string.Join(", ", levels)}, in {rounds.Count} interleaved rounds");
        var cpu = new CpuMonitor();
        var busy = levels.ToDictionary(l => l, _ => 0.0);
        var seconds = levels.ToDictionary(l => l, _ => 0.0);
        var loadAverages = levels.ToDictionary(l => l, _ => new List<string>());
        var cpuBefore = ProcessCpu.TotalSeconds();
        int roundNumber = 0, ran = 0;
        foreach (var (level, trials) in rounds)
        {
            if (cancellationToken.IsCancellationRequested) break;
            roundNumber++;
            cpu.Sample();
            loadAverages[level].Add(LoadAverage().Split(' ')[0]);
            using var probe = TrialProfile.Enabled ? new PoolLatencyProbe() : null;
            using var gcPauses = new GcPauseProbe();
            var outcome = await new TrialRunner(executor, store, runnerOptions with { Parallel = level }, NullRunProgress.Instance)
                .RunAsync(trials, cancellationToken);
            probe?.Dispose();
            var load = cpu.Sample();
            busy[level] += (load ?? 0) * outcome.Elapsed.TotalSeconds;
            seconds[level] += outcome.Elapsed.TotalSeconds;
            ran += outcome.Ran;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {roundNumber}/{rounds.Count}: -j {level}, {outcome.Ran} trials ({outcome.Failed} failed, {outcome.SkippedAsDone} done before) " +
                $"in {outcome.Elapsed.TotalSeconds:0} s, CPU load {(load ?? 0) * 100:0}%, load average {LoadAverage()}{(probe is null ? "" : "; " + probe.Report())}; {gcPauses.Report()}"));
            if (outcome.Interrupted || outcome.AbortReason is not null)
            {
                if (outcome.AbortReason is not null) await Console.Error.WriteLineAsync(outcome.AbortReason);
                break;
            }
        }
        var machine = levels.ToDictionary(l => l, l => string.Create(CultureInfo.InvariantCulture,
            $"{seconds[l]:0} s of rounds, machine CPU busy {(seconds[l] > 0 ? busy[l] / seconds[l] * 100 : 0):0}%, " +
            $"1-min load average at round starts {string.Join(", ", loadAverages[l])}"));
        var table = ParallelCheck.Render(store.ReadTrials(), levels, machine);
        if (ran > 0)
        {
            table += string.Create(CultureInfo.InvariantCulture,
                $"CPU of this process and its children: {(ProcessCpu.TotalSeconds() - cpuBefore) / ran:0.00} s per trial ({ran} trials)\n");
        }
        await File.WriteAllTextAsync(Path.Combine(directory, "parallel-check.md"), table, CancellationToken.None);
        output.WriteLine();
        output.WriteLine(table);
        output.WriteLine($"written: {Path.Combine(directory, "parallel-check.md")}");
        if (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"interrupted; continue with --resume --out {directory}");
            return 130;
        }
        return 0;
    }

    /// <summary>The report is a view of the database: if it fails (say Chromium cannot start), the results are
    /// intact and the message says how to make it again.</summary>
    private async Task WriteReportAsync(string databasePath, string reportDirectory, Reports.ReportOptions reportOptions,
        CancellationToken cancellationToken)
    {
        try
        {
            await Reports.ReportGenerator.GenerateAsync(databasePath, reportDirectory, reportOptions, cancellationToken);
            output.WriteLine($"report: {Path.Combine(reportDirectory, "report.html")} (and report.md, charts, CSV)");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync(
                $"report: not written ({e.GetType().Name}: {e.Message}); the results are intact. " +
                $"Make it with: ./spdylab report --results {databasePath} --out {reportDirectory}");
        }
    }

    public const string RunLockName = "run.lock";

    /// <summary>
    /// The output folder, created, with an exclusive lock on OUT/run.lock held for the whole run (the kernel
    /// drops it when the process dies, even by SIGKILL). Two runs never share a folder: a second run or
    /// --resume on a folder in use is refused, and two new runs of one experiment started in the same
    /// second get NAME-TIMESTAMP and NAME-TIMESTAMP-2.
    /// </summary>
    public static (string Directory, FileStream Lock) ClaimOutputDirectory(string experimentName, SessionOptions options)
    {
        var directory = ResolveOutputDirectory(experimentName, options);
        bool chosenHere = options.OutputDirectory is null && !options.Resume;
        for (int attempt = 2; ; attempt++)
        {
            Directory.CreateDirectory(directory);
            var runLock = TryLock(Path.Combine(directory, RunLockName));
            if (runLock is not null && (!chosenHere || !File.Exists(Path.Combine(directory, DatabaseName)))) return (directory, runLock);
            runLock?.Dispose();
            if (!chosenHere || attempt > 100)
            {
                throw new Commands.UsageException($"{directory} is in use by another spdylab run (it holds {RunLockName}); wait for it, or choose another --out");
            }
            directory = ResolveOutputDirectory(experimentName, options) + "-" + attempt.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static FileStream? TryLock(string path)
    {
        try
        {
            // .NET takes an exclusive flock(2) for FileShare.None on Unix.
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            stream.Write(pid);
            stream.Flush();
            return stream;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>--out, or the newest results/NAME-* when resuming, or a new results/NAME-TIMESTAMP.</summary>
    public static string ResolveOutputDirectory(string experimentName, SessionOptions options)
    {
        if (options.OutputDirectory is not null) return Path.GetFullPath(options.OutputDirectory);
        var root = Path.Combine(LabPaths.RepositoryRoot, "results");
        if (options.Resume)
        {
            var latest = Directory.Exists(root)
                ? Directory.GetDirectories(root, experimentName + "-*")
                    .Where(d => File.Exists(Path.Combine(d, DatabaseName)))
                    .OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
                : null;
            return latest ?? throw new Commands.UsageException(
                $"--resume: no earlier run of '{experimentName}' under {root}; give its folder with --out DIR");
        }
        return Path.Combine(root, $"{experimentName}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
    }

    public static string Describe(Experiment experiment, IReadOnlyList<PlannedTrial> plan)
    {
        var sites = plan.Select(t => t.Site).Distinct().Count();
        var configurations = plan.Select(t => t.Configuration.Key).Distinct().Count();
        var conditions = plan.Select(t => (t.Design, t.Condition)).Distinct().Count();
        var runs = plan.Count == 0 ? 0 : plan.Max(t => t.RunIndex) + 1;
        return $"{plan.Count} trials ({experiment.Designs.Count} design block(s), {conditions} link conditions, " +
               $"{configurations} configurations, {sites} sites, up to {runs} runs)";
    }

    /// <summary>Trials per design block and condition, for --dry-run.</summary>
    public static string PlanTable(Experiment experiment, IReadOnlyList<PlannedTrial> plan)
    {
        var lines = new List<string>();
        foreach (var group in plan.GroupBy(t => (t.BlockIndex, t.Design)).OrderBy(g => g.Key.BlockIndex))
        {
            var block = experiment.Designs[group.Key.BlockIndex];
            var title = block.Title.Length > 0 ? $" ({block.Title})" : "";
            lines.Add($"{group.Key.Design}{title}: {group.Count()} trials");
            foreach (var condition in group.GroupBy(t => t.Condition.Describe())
                .OrderBy(c => c.First().Condition.Link.Name, StringComparer.Ordinal).ThenBy(c => c.First().Condition.RttMs).ThenBy(c => c.First().Condition.Loss))
            {
                lines.Add($"  {condition.Key}: {condition.Count()} trials, " +
                          $"{condition.Select(t => t.Site).Distinct().Count()} sites x {condition.Select(t => t.RunIndex).Distinct().Count()} runs x " +
                          $"{condition.Select(t => t.Configuration.Key).Distinct().Count()} configurations");
            }
            lines.Add("  configurations: " + string.Join("; ", block.Configurations.Select(c => c.DisplayName)));
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The 1, 5 and 15 minute load averages (/proc/loadavg), or "n/a": the machine is shared, so figures need it beside them.</summary>
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }

    private static string LabVersion() =>
        typeof(ExperimentSession).Assembly.GetName().Version?.ToString() ?? "unknown";
}
