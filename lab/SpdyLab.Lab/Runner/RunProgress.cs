using System.Diagnostics;
using System.Globalization;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;
using Spectre.Console;

namespace SpdyLab.Lab.Runner;

/// <summary>What the runner reports while it works. Called from several worker threads at once.</summary>
public interface IRunProgress
{
    void Started(int planned, int alreadyDone, int parallel);
    void TrialStarted(PlannedTrial trial);
    void TrialFinished(PlannedTrial trial, TrialRecord record);
    void Finished();
}

public sealed class NullRunProgress : IRunProgress
{
    public static readonly NullRunProgress Instance = new();
    public void Started(int planned, int alreadyDone, int parallel) { }
    public void TrialStarted(PlannedTrial trial) { }
    public void TrialFinished(PlannedTrial trial, TrialRecord record) { }
    public void Finished() { }
}

/// <summary>
/// Progress on the terminal: a Spectre.Console bar with ETA, the running summary and the CPU load when
/// stdout is a terminal; otherwise (CI, a log file) one line per finished trial, or one every 10 s for
/// long runs.
/// </summary>
public sealed class ConsoleRunProgress : IRunProgress
{
    private readonly RunningSummary summary = new();
    private readonly CpuMonitor cpu = new();
    private readonly Stopwatch clock = new();
    private readonly Lock gate = new();
    private ProgressTask? bar;
    private ProgressTask? status;
    private int planned, alreadyDone, finished, parallel;
    private double? lastCpu;
    // Null until the first line: `now - long.MinValue` overflowed, so runs of more than 500 trials printed no
    // progress at all to a log (found in the session-3 full-design run).
    private long? lastLineAt;
    private Timer? cpuTimer;
    private readonly TextWriter log;

    /// <param name="log">Where the line-per-trial progress goes when stdout is not a terminal (default: stdout).</param>
    public ConsoleRunProgress(TextWriter? log = null)
    {
        this.log = log ?? Console.Out;
    }

    public RunningSummary Summary => summary;
    public double? MeanCpuLoad => cpu.Mean;

    /// <summary>Runs <paramref name="run"/> with this progress display around it.</summary>
    public async Task<T> RunAsync<T>(Func<IRunProgress, Task<T>> run)
    {
        cpuTimer = new Timer(_ => lastCpu = cpu.Sample() ?? lastCpu, null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        try
        {
            if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                return await run(this);
            }
            T result = default!;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    bar = context.AddTask("trials", maxValue: 1);
                    status = context.AddTask("", maxValue: 1);
                    status.IsIndeterminate = true;
                    result = await run(this);
                    status.Value = status.MaxValue;
                    status.StopTask();
                });
            return result;
        }
        finally
        {
            cpuTimer.Dispose();
        }
    }

    public void Started(int planned, int alreadyDone, int parallel)
    {
        lock (gate)
        {
            this.planned = planned;
            this.alreadyDone = alreadyDone;
            this.parallel = parallel;
            clock.Start();
            if (bar is not null)
            {
                bar.MaxValue = Math.Max(1, planned);
                bar.Value = alreadyDone;
                bar.Description = Describe();
            }
            else
            {
                var resumed = alreadyDone > 0 ? $", {alreadyDone} already in the database (resumed)" : "";
                log.WriteLine($"{planned} trials{resumed}; {parallel} world(s) in parallel");
            }
        }
    }

    public void TrialStarted(PlannedTrial trial) { }

    public void TrialFinished(PlannedTrial trial, TrialRecord record)
    {
        summary.Add(trial, record);
        lock (gate)
        {
            finished++;
            if (bar is not null && status is not null)
            {
                bar.Increment(1);
                bar.Description = Describe();
                status.Description = Markup.Escape(StatusLine());
                return;
            }
            long now = clock.ElapsedMilliseconds;
            bool everyTrial = planned - alreadyDone <= 500;
            if (everyTrial || !record.IsOk || lastLineAt is not { } last || now - last >= LongRunLineIntervalMs || finished + alreadyDone == planned)
            {
                lastLineAt = now;
                var result = record.IsOk ? $"{record.PltMs:0} ms" : $"FAILED ({record.Error})";
                log.WriteLine($"[{finished + alreadyDone}/{planned}] {trial}: {result} | {StatusLine()}");
            }
        }
    }

    /// <summary>Runs of more than 500 trials print one line per this interval (and every failure).</summary>
    public const int LongRunLineIntervalMs = 10_000;

    public void Finished()
    {
        lock (gate)
        {
            if (bar is not null)
            {
                bar.Value = bar.MaxValue;
                bar.StopTask();
            }
        }
    }

    private string Describe() => $"trials {finished + alreadyDone}/{planned}";

    private string StatusLine()
    {
        var parts = new List<string> { summary.Describe() };
        if (finished > 0)
        {
            var remaining = planned - alreadyDone - finished;
            var eta = TimeSpan.FromMilliseconds(clock.ElapsedMilliseconds / (double)finished * remaining);
            parts.Add($"ETA {FormatDuration(eta)}");
        }
        if (lastCpu is { } load) parts.Add($"CPU {load * 100:0}% ({parallel} parallel)");
        return string.Join(" | ", parts);
    }

    public static string FormatDuration(TimeSpan span) => span.TotalHours >= 1
        ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
        : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s" : $"{span.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)}s";
}
