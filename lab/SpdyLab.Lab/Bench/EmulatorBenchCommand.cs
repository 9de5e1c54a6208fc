using System.CommandLine;
using System.Globalization;
using SpdyLab.Lab.Commands;

namespace SpdyLab.Lab.Bench;

/// <summary><c>spdylab bench emulator</c>: capacity next to a veth pair, ferry CPU, accuracy at the paper's links.</summary>
public static class EmulatorBenchCommand
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "iperf3 -t of each capacity run", DefaultValueFactory = _ => 4 };
        var repeats = new Option<int>("--repeats") { Description = "capacity runs per path and direction (interleaved)", DefaultValueFactory = _ => 2 };
        var rateSeconds = new Option<double>("--rate-seconds") { Description = "iperf3 -t of each goodput run at the paper's rates", DefaultValueFactory = _ => 8 };
        var pings = new Option<int>("--loss-pings") { Description = "pings per loss level (2 ms apart)", DefaultValueFactory = _ => 2000 };
        var only = new Option<string?>("--only") { Description = "capacity or accuracy (default: both)" };
        var note = new Option<string>("--note") { Description = "a sentence about the machine's state, printed next to the figures" };
        var output = new Option<string>("--out", "-o") { Description = "also put the section into this file (e.g. docs/benchmarks.md), between its own markers; the rest of the file is kept" };

        var command = new Command("emulator",
            "The link emulator: capacity (iperf3 TCP) next to a plain veth pair in the same run, ferry CPU per Gbit/s, and rate/RTT/loss " +
            "accuracy at the paper's DSL and cable links. Needs root, iperf3 and ping; about 3 minutes.");
        foreach (var option in new Option[] { seconds, repeats, rateSeconds, pings, only, note, output }) command.Options.Add(option);

        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            double capacitySeconds = parseResult.GetValue(seconds), goodputSeconds = parseResult.GetValue(rateSeconds);
            if (capacitySeconds is < 2 or > 60 || double.IsNaN(capacitySeconds)) throw new UsageException($"--seconds: '{capacitySeconds}' is out of range; accepted: 2 to 60");
            if (goodputSeconds is < 2 or > 60 || double.IsNaN(goodputSeconds)) throw new UsageException($"--rate-seconds: '{goodputSeconds}' is out of range; accepted: 2 to 60");
            int runs = parseResult.GetValue(repeats), lossPings = parseResult.GetValue(pings);
            if (runs is < 1 or > 10) throw new UsageException($"--repeats: '{runs}' is out of range; accepted: 1 to 10");
            if (lossPings is < 100 or > 20_000) throw new UsageException($"--loss-pings: '{lossPings}' is out of range; accepted: 100 to 20000");
            var part = parseResult.GetValue(only)?.ToLowerInvariant();
            if (part is not (null or "capacity" or "accuracy")) throw new UsageException($"--only: '{part}' is not a part; accepted: capacity, accuracy");
            if (EmulatorBench.WhyItCannotRun() is { } problem)
            {
                await Console.Error.WriteLineAsync($"bench emulator: {problem}");
                return CommandActions.RuntimeError;
            }

            var settings = new EmulatorBenchSettings
            {
                CapacitySeconds = capacitySeconds,
                Repeats = runs,
                RateSeconds = goodputSeconds,
                LossPings = lossPings,
                Capacity = part is null or "capacity",
                Accuracy = part is null or "accuracy",
                Progress = line => Console.Error.WriteLine(line),
            };
            var started = DateTimeOffset.UtcNow;
            var loadBefore = BenchReport.LoadAverage();
            var capacity = settings.Capacity ? await EmulatorBench.MeasureCapacityAsync(settings, cancellationToken) : [];
            var accuracy = settings.Accuracy ? await EmulatorBench.MeasureAccuracyAsync(settings, cancellationToken) : [];
            var markdown = EmulatorBenchReport.Render(settings, capacity, accuracy, started, loadBefore, BenchReport.LoadAverage(), parseResult.GetValue(note));
            Console.Write(markdown);
            if (parseResult.GetValue(output) is { } file)
            {
                await BenchSections.WriteAsync(file, EmulatorBenchReport.BeginMarker, EmulatorBenchReport.EndMarker, markdown, cancellationToken);
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench emulator: wrote its section of {file}"));
            }
            return capacity.Any(r => r.Error is not null) ? CommandActions.RuntimeError : 0;
        });
        return command;
    }
}
