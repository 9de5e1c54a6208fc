using System.CommandLine;
using System.Globalization;
using SpdyLab.Emulator.Link;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;

namespace SpdyLab.Lab.Commands;

/// <summary>The options reproduce, sweep and run share: how to run (parallel, out, resume, pcap, dry run) and what to trim (runs, sites).</summary>
internal sealed class ExperimentOptions
{
    public Option<int?> Runs { get; } = new("--runs") { Description = "Runs (repetitions) per site and configuration, instead of the file's" };
    public Option<string?> Sites { get; } = new("--sites") { Description = "Comma-separated site names instead of the file's (e.g. google,yahoo)" };
    public Option<int?> Parallel { get; } = new("--parallel", "-j") { Description = $"Worlds (trials) at the same time (default {SessionOptions.DefaultParallel}: four per core, at most 16; watch the CPU load it reports)" };
    public Option<string?> Out { get; } = new("--out", "-o") { Description = "Output folder (results.db, summary.txt, artifacts/); default results/NAME-TIMESTAMP" };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue an interrupted run (the newest results/NAME-*, or --out DIR): finished trials are kept, not repeated" };
    public Option<bool> Pcap { get; } = new("--pcap") { Description = "Keep a pcap of every trial under OUT/artifacts/" };
    public Option<bool> NoPacketEvidence { get; } = new("--no-packet-evidence") { Description = "Skip the per-trial packet capture and TCP analysis (packets, connections, retransmissions in results.db); for measuring what it costs" };
    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Print the trials the experiment would run, and run nothing" };
    public Option<string?> ParallelCheck { get; } = new("--parallel-check") { Description = "Run every trial at each of these parallelism levels (e.g. 1,4,8), interleaved, and print median PLTs side by side (does -j distort the figures on this machine?)" };
    public Option<bool> NoReport { get; } = new("--no-report") { Description = "Skip the report (OUT/report: tables, charts, report.html) at the end; make it later with 'spdylab report'" };

    public void AddTo(Command command, bool includeRunsAndSites = true)
    {
        if (includeRunsAndSites)
        {
            command.Options.Add(Runs);
            command.Options.Add(Sites);
        }
        command.Options.Add(Parallel);
        command.Options.Add(Out);
        command.Options.Add(Resume);
        command.Options.Add(Pcap);
        command.Options.Add(NoPacketEvidence);
        command.Options.Add(DryRun);
        command.Options.Add(NoReport);
        command.Options.Add(ParallelCheck);
    }

    public SessionOptions Read(ParseResult parseResult, double? rttMs = null)
    {
        var runs = parseResult.GetValue(Runs);
        if (runs is < 1 or > 1000) throw new UsageException($"--runs: {runs} is out of range; accepted: 1 to 1000");
        var parallel = parseResult.GetValue(Parallel);
        if (parallel is < 1 or > 64) throw new UsageException($"--parallel: {parallel} is out of range; accepted: 1 to 64");
        return new SessionOptions
        {
            Overrides = new ExperimentOverrides { Runs = runs, Sites = ParseSites(parseResult.GetValue(Sites)), RttMs = rttMs },
            Parallel = parallel ?? SessionOptions.DefaultParallel,
            OutputDirectory = parseResult.GetValue(Out),
            Resume = parseResult.GetValue(Resume),
            CapturePackets = parseResult.GetValue(Pcap),
            PacketEvidence = !parseResult.GetValue(NoPacketEvidence),
            DryRun = parseResult.GetValue(DryRun),
            ParallelCheck = ParseLevels(parseResult.GetValue(ParallelCheck)),
            Report = parseResult.GetValue(NoReport) ? null : new Reports.ReportOptions(),
            CommandLine = "spdylab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
        };
    }

    public static IReadOnlyList<int>? ParseLevels(string? text)
    {
        if (text is null) return null;
        var levels = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var level) || level is < 1 or > 64)
                throw new UsageException($"--parallel-check: '{part}' is not a parallelism level; accepted: comma-separated numbers 1 to 64, e.g. 1,4,8");
            if (!levels.Contains(level)) levels.Add(level);
        }
        if (levels.Count < 2) throw new UsageException("--parallel-check: give at least two levels to compare, e.g. 1,4");
        return levels;
    }

    public static IReadOnlyList<string>? ParseSites(string? text)
    {
        if (text is null) return null;
        var sites = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (sites.Count == 0) throw new UsageException("--sites: no site given; accepted: comma-separated names, e.g. google,yahoo");
        return sites;
    }

    public static double ParseRtt(string option, string text)
    {
        try { return LinkValues.ParseDuration(option, text) / 1000.0; }
        catch (LinkOptionException e) { throw new UsageException(e.Message); }
    }

    /// <summary>Runs a session with the lab's real sites and executor, printing to standard output.</summary>
    public static async Task<int> RunSessionAsync(string commandName, Experiment experiment, SessionOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await new ExperimentSession(SiteSource.ListOrFail, TrialExecutors.CreateDefault, Console.Out).RunAsync(experiment, options, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or SpdyLab.Results.ResultsFormatException)
        {
            await Console.Error.WriteLineAsync($"spdylab {commandName}: {e.Message}");
            return CommandActions.RuntimeError;
        }
    }

    public static Experiment Load(string path)
    {
        try { return ExperimentLoader.LoadFile(path); }
        catch (ExperimentFileException e) { throw new UsageException(e.Message); }
        catch (FileNotFoundException e) { throw new UsageException(e.Message); }
    }

    public static string Invariant(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
