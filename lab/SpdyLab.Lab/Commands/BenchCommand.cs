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
        command.Subcommands.Add(CreateCodec());
        command.Subcommands.Add(CreateLab());
        return command;
    }

    private static Command CreateCodec()
    {
        var filter = new Option<string>("--filter") { Description = "BenchmarkDotNet filter (glob on Type.Method), e.g. '*FrameBenchmarks*'", DefaultValueFactory = _ => "*" };
        var note = new Option<string>("--note") { Description = "a sentence about the machine's state, printed next to the figures" };
        var output = new Option<string>("--out", "-o") { Description = "also put the section into this file (e.g. docs/benchmarks.md), between its own markers; the rest of the file is kept" };
        var command = new Command("codec",
            "BenchmarkDotNet over the SPDY codec (bench/SpdyLab.Benchmarks): frame read/write and header block compress/decompress per version, " +
            "time and bytes allocated per operation. Builds and runs the benchmark project (dotnet run -c Release); a few minutes.");
        foreach (var option in new Option[] { filter, note, output })
        {
            command.Options.Add(option);
        }

        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var started = DateTimeOffset.UtcNow;
            var loadBefore = BenchReport.LoadAverage();
            var (table, problem) = await CodecBench.RunAsync(parseResult.GetValue(filter)!, line => Console.Error.WriteLine(line), cancellationToken);
            if (table is null)
            {
                await Console.Error.WriteLineAsync($"bench codec: {problem}");
                return CommandActions.RuntimeError;
            }

            var markdown = CodecBench.Render(table, started, loadBefore, BenchReport.LoadAverage(), parseResult.GetValue(note));
            Console.Write(markdown);
            if (parseResult.GetValue(output) is { } file)
            {
                await BenchSections.WriteAsync(file, CodecBench.BeginMarker, CodecBench.EndMarker, markdown, cancellationToken);
                await Console.Error.WriteLineAsync($"bench codec: wrote its section of {file}");
            }

            if (problem is not null)
            {
                await Console.Error.WriteLineAsync($"bench codec: {problem}");
                return CommandActions.RuntimeError;
            }

            return 0;
        });
        return command;
    }

    private static Command CreateLab()
    {
        var links = new Option<string>("--links") { Description = "link presets, comma-separated", DefaultValueFactory = _ => "dsl,cable" };
        var parallel = new Option<string>("--parallel", "-j") { Description = "worlds at the same time, comma-separated (1 = serial)", DefaultValueFactory = _ => "1,8" };
        var sites = new Option<string>("--sites") { Description = "sites of each run, comma-separated", DefaultValueFactory = _ => "google,yahoo,wikipedia,amazon" };
        var protocols = new Option<string>("--protocols", "-p") { Description = "protocols of each run, comma-separated", DefaultValueFactory = _ => "http/1.1,spdy/3.1" };
        var runs = new Option<int>("--runs") { Description = "runs (repetitions) per site and protocol", DefaultValueFactory = _ => 2 };
        var note = new Option<string>("--note") { Description = "a sentence about the machine's state, printed next to the figures" };
        var output = new Option<string>("--out", "-o") { Description = "also put the section into this file (e.g. docs/benchmarks.md), between its own markers; the rest of the file is kept" };
        var command = new Command("lab",
            "Lab throughput: trials per minute of the runner (spdylab run, unchanged) at the paper's links with 1% loss, serial and parallel. Needs root.");
        foreach (var option in new Option[] { links, parallel, sites, protocols, runs, note, output })
        {
            command.Options.Add(option);
        }

        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var levels = parseResult.GetValue(parallel)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(item => int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var j) && j is >= 1 and <= 64
                    ? j
                    : throw new UsageException($"--parallel: '{item}' is not a number of worlds; accepted: 1 to 64, comma-separated (e.g. 1,4)"))
                .ToList();
            var repetitions = parseResult.GetValue(runs);
            if (repetitions is < 1 or > 50)
            {
                throw new UsageException($"--runs: '{repetitions}' is out of range; accepted: 1 to 50");
            }

            if (Environment.UserName != "root")
            {
                await Console.Error.WriteLineAsync("bench lab: needs root (network namespaces and TUN devices); run it as root");
                return CommandActions.RuntimeError;
            }

            var settings = new LabBenchSettings
            {
                Links = parseResult.GetValue(links)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Parallel = levels,
                Sites = parseResult.GetValue(sites)!,
                Protocols = parseResult.GetValue(protocols)!,
                Runs = repetitions,
                Progress = line => Console.Error.WriteLine(line),
            };
            var started = DateTimeOffset.UtcNow;
            var loadBefore = BenchReport.LoadAverage();
            var results = await LabBench.RunAsync(settings, cancellationToken);
            var markdown = LabBench.Render(settings, results, started, loadBefore, BenchReport.LoadAverage(), parseResult.GetValue(note));
            Console.Write(markdown);
            if (parseResult.GetValue(output) is { } file)
            {
                await BenchSections.WriteAsync(file, LabBench.BeginMarker, LabBench.EndMarker, markdown, cancellationToken);
                await Console.Error.WriteLineAsync($"bench lab: wrote its section of {file}");
            }

            return results.Any(r => r.Trials == 0 || r.Failed > 0) ? CommandActions.RuntimeError : 0;
        });
        return command;
    }

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
                await BenchSections.WriteAsync(file, BenchReport.BeginMarker, BenchReport.EndMarker, markdown, cancellationToken);
                await Console.Error.WriteLineAsync($"bench server: wrote its section of {file}");
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
