using System.CommandLine;
using System.Globalization;
using SpdyLab.Lab.Bench;

namespace SpdyLab.Lab.Commands;

/// <summary><c>spdylab bench</c>: side-by-side benchmarks that print Markdown tables (and write docs/benchmarks.md).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Side-by-side benchmarks; figures as Markdown tables with ratios.");
        command.Subcommands.Add(CreateServer());
        command.Subcommands.Add(EmulatorBenchCommand.Create());
        return command;
    }

    /// <summary>In the --out file, everything from this line on is kept when the figures are rewritten.</summary>
    internal const string HandWrittenMarker = "<!-- hand-written below: bench server --out keeps everything from this line on -->";

    private static Command CreateServer()
    {
        var seconds = new Option<double>("--seconds") { Description = "measured seconds per cell (each cell also has a short warm-up)", DefaultValueFactory = _ => 3 };
        var sizes = new Option<string>("--sizes") { Description = "resource sizes, comma-separated: 1k, 100k, 512 (bytes)", DefaultValueFactory = _ => "1k,100k" };
        var loads = new Option<string>("--loads") { Description = "concurrencies CxS (C connections x S streams each), comma-separated", DefaultValueFactory = _ => "1x100,16x10" };
        var noH2load = new Option<bool>("--no-h2load") { Description = "skip the h2load (nghttp2-client) cells" };
        var noNode = new Option<bool>("--no-node") { Description = "skip the node-spdy cells" };
        var note = new Option<string>("--note") { Description = "a sentence about the machine's state, printed next to the figures" };
        var output = new Option<string>("--out", "-o") { Description = "also write the Markdown to this file (e.g. docs/benchmarks.md)" };

        var command = new Command("server", "SPDY/3.1 (ours) vs Kestrel's HTTP/2 and HTTP/1.1 vs node-spdy: req/s, p50/p99 latency, CPU per request.");
        foreach (var option in new Option[] { seconds, sizes, loads, noH2load, noNode, note, output })
        {
            command.Options.Add(option);
        }

        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var measured = parseResult.GetValue(seconds);
            if (measured is < 0.2 or > 120 || double.IsNaN(measured))
            {
                throw new UsageException($"--seconds: '{measured}' is out of range; accepted: 0.2 to 120");
            }
            var settings = new ServerBenchSettings
            {
                Seconds = measured,
                Sizes = ParseSizes(parseResult.GetValue(sizes)!),
                Loads = ParseLoads(parseResult.GetValue(loads)!),
                UseH2load = !parseResult.GetValue(noH2load),
                UseNode = !parseResult.GetValue(noNode),
                PeersDirectory = Path.Combine(LabPaths.RepositoryRoot, "tools", "peers"),
                Progress = line => Console.Error.WriteLine(line),
            };
            var started = DateTimeOffset.UtcNow;
            var loadBefore = BenchReport.LoadAverage();
            var results = await ServerBench.RunAsync(settings, cancellationToken);
            var markdown = BenchReport.Render(settings, results, started, loadBefore, BenchReport.LoadAverage(), parseResult.GetValue(note));
            Console.Write(markdown);
            if (parseResult.GetValue(output) is { } file)
            {
                // Notes written by hand below the marker survive a re-run.
                var existing = File.Exists(file) ? await File.ReadAllTextAsync(file, cancellationToken) : "";
                var marker = existing.IndexOf(HandWrittenMarker, StringComparison.Ordinal);
                await File.WriteAllTextAsync(file, marker < 0 ? markdown : markdown + Environment.NewLine + existing[marker..], cancellationToken);
                await Console.Error.WriteLineAsync($"bench: wrote {file}");
            }
            return results.Any(r => !r.Skipped && (r.Requests == 0 || r.BadBodies > 0)) ? CommandActions.RuntimeError : 0;
        });
        return command;
    }

    internal static IReadOnlyList<int> ParseSizes(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(item =>
        {
            var lower = item.ToLowerInvariant();
            var multiplier = lower.EndsWith('k') ? 1024 : lower.EndsWith('m') ? 1024 * 1024 : 1;
            var digits = multiplier == 1 ? lower : lower[..^1];
            return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && (long)n * multiplier <= 16 * 1024 * 1024
                ? n * multiplier
                : throw new UsageException($"--sizes: '{item}' is not a size; accepted: 1k, 100k, 1m, 512 (bytes, up to 16m)");
        }).ToList() is { Count: > 0 } list ? list : throw new UsageException("--sizes: give at least one size, e.g. 1k,100k");

    internal static IReadOnlyList<BenchLoad> ParseLoads(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(item =>
        {
            var parts = item.ToLowerInvariant().Split('x');
            return parts.Length == 2 && int.TryParse(parts[0], out var c) && int.TryParse(parts[1], out var s) && c is >= 1 and <= 256 && s is >= 1 and <= 100
                ? new BenchLoad(c, s)
                : throw new UsageException($"--loads: '{item}' is not CxS; accepted: 1x100, 16x10 (1-256 connections x 1-100 streams)");
        }).ToList() is { Count: > 0 } list ? list : throw new UsageException("--loads: give at least one CxS, e.g. 1x100,16x10");
}
