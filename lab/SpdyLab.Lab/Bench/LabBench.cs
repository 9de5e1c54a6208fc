using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SpdyLab.Lab.Commands;

namespace SpdyLab.Lab.Bench;

/// <summary>What one <c>spdylab bench lab</c> run measures.</summary>
internal sealed class LabBenchSettings
{
    public IReadOnlyList<string> Links { get; init; } = ["dsl", "cable"];

    public IReadOnlyList<int> Parallel { get; init; } = [1, 8];

    public string Sites { get; init; } = "google,yahoo,wikipedia,amazon";

    public string Protocols { get; init; } = "http/1.1,spdy/3.1";

    public int Runs { get; init; } = 2;

    public string Loss { get; init; } = "1%";

    public string Rtt { get; init; } = "40ms";

    public Action<string>? Progress { get; init; }
}

/// <summary>One cell: a link at one parallelism, as the runner reported it.</summary>
internal sealed record LabBenchResult(string Link, int Parallel, int Trials, int Ok, int Failed, double TrialsPerMinute,
    double WallSecondsPerTrial, double CpuSecondsPerTrial, string LoadAverage, string? Problem);

/// <summary>
/// Lab throughput: the runner (unchanged: <c>spdylab run</c> in a child process, as a user would start it) on a small
/// experiment at the paper's links, serial (-j 1) and parallel; trials per minute, wall and CPU seconds per trial as
/// the runner itself reports them (its clock starts after start-up, so the CLI's JIT and build are not counted).
/// </summary>
internal static class LabBench
{
    public static async Task<IReadOnlyList<LabBenchResult>> RunAsync(LabBenchSettings settings, CancellationToken cancellationToken)
    {
        var results = new List<LabBenchResult>();
        var folder = Directory.CreateTempSubdirectory("spdylab-bench-lab-");
        try
        {
            foreach (var link in settings.Links)
            {
                foreach (var parallel in settings.Parallel)
                {
                    settings.Progress?.Invoke($"bench lab: {link}, -j {parallel} ...");
                    var result = await RunCellAsync(settings, link, parallel, Path.Combine(folder.FullName, $"{link}-j{parallel}"), cancellationToken);
                    settings.Progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                        $"       {result.TrialsPerMinute:0.0} trials/min, {result.Ok}/{result.Trials} ok, {result.WallSecondsPerTrial:0.00} s wall and {result.CpuSecondsPerTrial:0.00} s CPU per trial, load {result.LoadAverage}{(result.Problem is null ? "" : "; " + result.Problem)}"));
                    results.Add(result);
                }
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        return results;
    }

    private static async Task<LabBenchResult> RunCellAsync(LabBenchSettings settings, string link, int parallel, string outFolder, CancellationToken cancellationToken)
    {
        var (file, prefix) = SoakCommand.SelfCommand();
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in prefix.Concat(
        [
            "run", "--site", settings.Sites, "--link", link, "--loss", settings.Loss, "--rtt", settings.Rtt, "-p", settings.Protocols,
            "--runs", settings.Runs.ToString(CultureInfo.InvariantCulture), "-j", parallel.ToString(CultureInfo.InvariantCulture),
            "--no-report", "--out", outFolder,
        ]))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromMinutes(15));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout;
        var errors = await stderr;
        return Parse(link, parallel, output, process.ExitCode == 0 ? null : $"exit {process.ExitCode}: {LastLine(errors)}");
    }

    internal static LabBenchResult Parse(string link, int parallel, string output, string? problem)
    {
        var session = Regex.Match(output, @"this session: (\d+) trials run \((\d+) ok, (\d+) failed\)");
        var throughput = Regex.Match(output, @"throughput: ([\d.]+) trials/min, ([\d.]+) s wall and ([\d.]+) s CPU .*load average ([\d. ]+)");
        if (!session.Success || !throughput.Success)
        {
            return new LabBenchResult(link, parallel, 0, 0, 0, double.NaN, double.NaN, double.NaN, "", problem ?? "no throughput line in the run's output");
        }

        int Int(Group g) => int.Parse(g.Value, CultureInfo.InvariantCulture);
        double Num(Group g) => double.Parse(g.Value, CultureInfo.InvariantCulture);
        return new LabBenchResult(link, parallel, Int(session.Groups[1]), Int(session.Groups[2]), Int(session.Groups[3]),
            Num(throughput.Groups[1]), Num(throughput.Groups[2]), Num(throughput.Groups[3]), throughput.Groups[4].Value.Trim(), problem);
    }

    private static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

    public const string BeginMarker = "<!-- bench lab: begin (spdylab bench lab --out rewrites up to the end marker) -->";
    public const string EndMarker = "<!-- bench lab: end -->";

    public static string Render(LabBenchSettings settings, IReadOnlyList<LabBenchResult> results, DateTimeOffset started, string loadBefore, string loadAfter, string? note)
    {
        var md = new StringBuilder();
        md.AppendLine("## Lab throughput (trials per minute)");
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Generated by `./spdylab bench lab` (lab/SpdyLab.Lab/Bench/LabBench.cs) {started:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores; load average (1/5/15 min) before: {loadBefore}; after: {loadAfter}."));
        if (note is not null)
        {
            md.AppendLine();
            md.AppendLine($"**Note:** {note}");
        }

        md.AppendLine();
        md.AppendLine($"Each cell is one `spdylab run` (the runner as users start it, in its own process, as root): sites {settings.Sites}, " +
                      $"protocols {settings.Protocols} (multi-domain), {settings.Runs} runs, loss {settings.Loss} each way, RTT {settings.Rtt}, the paper's links " +
                      "(dsl 2 Mbit/s / 375 kbit/s, cable 4 Mbit/s / 1 Mbit/s), serial (-j 1) and parallel worlds. Figures are the runner's own end-of-run line: " +
                      "its clock starts once the CLI is up, so start-up and JIT of the CLI are not in them; CPU is the lab process and its children.");
        md.AppendLine();
        md.AppendLine("| link | -j | trials | ok | trials/min | speed-up vs -j 1 | wall s/trial | CPU s/trial | load average after |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var serial = results.FirstOrDefault(s => s.Link == r.Link && s.Parallel == 1);
            var speedUp = serial is not null && serial.TrialsPerMinute > 0 && !double.IsNaN(r.TrialsPerMinute) ? $"{r.TrialsPerMinute / serial.TrialsPerMinute:0.00}x" : "n/a";
            md.AppendLine(r.Problem is not null && r.Trials == 0
                ? $"| {r.Link} | {r.Parallel} | failed: {r.Problem} | | | | | | |"
                : string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Link} | {r.Parallel} | {r.Trials} | {r.Ok} | {r.TrialsPerMinute:0.0} | {speedUp} | {r.WallSecondsPerTrial:0.00} | {r.CpuSecondsPerTrial:0.00} | {r.LoadAverage} |"));
        }

        return md.ToString();
    }
}
