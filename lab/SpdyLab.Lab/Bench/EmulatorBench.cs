using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SpdyLab.Emulator.Link;
using SpdyLab.Emulator.Worlds;

namespace SpdyLab.Lab.Bench;

public sealed record EmulatorBenchSettings
{
    /// <summary>iperf3 -t of each capacity run.</summary>
    public double CapacitySeconds { get; init; } = 4;

    /// <summary>Capacity runs per path and direction, interleaved so the machine's load hits every path alike.</summary>
    public int Repeats { get; init; } = 2;

    /// <summary>iperf3 -t of each goodput run at the paper's rates (long enough that slow start weighs little).</summary>
    public double RateSeconds { get; init; } = 8;

    /// <summary>Pings per loss level (at 2 ms intervals).</summary>
    public int LossPings { get; init; } = 2000;

    public bool Capacity { get; init; } = true;

    public bool Accuracy { get; init; } = true;

    public Action<string> Progress { get; init; } = _ => { };
}

/// <summary>One capacity run: iperf3 TCP through one path in one direction.</summary>
public sealed record CapacityRun(string Path, string Direction, int Repeat, double Mbps, long Retransmits,
    double FerryCpuSeconds, double FerryUserSeconds, double Seconds, string? Error, string? LinkNote);

/// <summary>One accuracy figure: what was configured, what the link should give, what was measured.</summary>
public sealed record AccuracyRow(string Link, string Quantity, string Configured, string Expected, string Measured, string Deviation, bool Ok, string Note);

/// <summary>
/// <c>spdylab bench emulator</c>: the emulator's capacity next to a plain veth pair in the same run, the
/// CPU its ferries spend, and its accuracy at the paper's links, all measured with tools we did not write
/// (iperf3, ping).
/// </summary>
public static class EmulatorBench
{
    private const int IperfPort = 5201;
    // TCP payload per 1500-byte IP packet with timestamps (20 IP + 20 TCP + 12 options): the goodput ceiling.
    private const double TcpPayloadShare = 1448.0 / 1500.0;
    // ping -s 56: 84-byte IP packets each way.
    private const int PingPacketBytes = 84;

    public static readonly (string Name, string Down, string Up)[] PaperLinks =
    [
        ("DSL", "2mbit", "375kbit"),
        ("cable", "4mbit", "1mbit"),
    ];

    public static string? WhyItCannotRun()
    {
        if (SpdyLab.Emulator.Interop.Privileges.WhyWorldsCannotBeBuilt() is { } problem) return problem;
        foreach (var tool in new[] { "iperf3", "ping" })
        {
            if (FindOnPath(tool) is null) return $"'{tool}' is missing: scripts/install-deps.sh installs it (apt-get install {tool} iputils-ping)";
        }
        return null;
    }

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    // ---------------------------------------------------------------- capacity

    private sealed record PathUnderTest(string Name, Func<INet> Build);

    /// <summary>What a measurement needs from a world or a veth pair.</summary>
    private interface INet : IDisposable
    {
        string Host { get; }
        ProcessStartInfo Client(string command, string[] args);
        ProcessStartInfo Server(string command, string[] args);
        string? Note();
    }

    private sealed class WorldNet(World world) : INet
    {
        public World World => world;
        public string Host => world.HostAddress.ToString();
        public ProcessStartInfo Client(string command, string[] args) => world.ClientProcess(command, args);
        public ProcessStartInfo Server(string command, string[] args) => world.ServerProcess(command, args);
        public string? Note()
        {
            var d = world.Down.Counters;
            var u = world.Up.Counters;
            long dropped = d.QueueDrops + d.WriteDrops + u.QueueDrops + u.WriteDrops;
            return dropped == 0 ? null : $"link drops not configured: queue {d.QueueDrops + u.QueueDrops}, write {d.WriteDrops + u.WriteDrops}";
        }
        public void Dispose() => world.Dispose();
    }

    private sealed class VethNet(VethPair pair) : INet
    {
        public string Host => pair.HostAddress.ToString();
        public ProcessStartInfo Client(string command, string[] args) => pair.ClientProcess(command, args);
        public ProcessStartInfo Server(string command, string[] args) => pair.ServerProcess(command, args);
        public string? Note() => null;
        public void Dispose() => pair.Dispose();
    }

    public const string VethGso = "veth pair, GSO/TSO on (kernel only)";
    public const string VethMtu = "veth pair, MTU-sized packets (kernel only)";
    public const string EmulatorPlain = "emulator, no impairment";
    public const string EmulatorStages = "emulator, rate+delay+loss stages (10 Gbit/s, 0.2 ms RTT, 0.0001% loss)";

    private static World NewWorld(LinkSpec spec) => World.Create(new WorldOptions { Link = spec, HostSide = HostSide.ServerNamespace });

    private static readonly PathUnderTest[] CapacityPaths =
    [
        new(VethGso, () => new VethNet(VethPair.Create(mtuSizedPackets: false))),
        new(VethMtu, () => new VethNet(VethPair.Create(mtuSizedPackets: true))),
        new(EmulatorPlain, () => new WorldNet(NewWorld(new LinkSpec()))),
        new(EmulatorStages, () => new WorldNet(NewWorld(new LinkOptions { Down = "10gbit", Up = "10gbit", Rtt = "0.2ms", Loss = "0.0001%" }.ToSpec()))),
    ];

    public static async Task<IReadOnlyList<CapacityRun>> MeasureCapacityAsync(EmulatorBenchSettings settings, CancellationToken ct)
    {
        var runs = new List<CapacityRun>();
        for (int repeat = 1; repeat <= settings.Repeats; repeat++)
        {
            foreach (var path in CapacityPaths)
            {
                foreach (var direction in new[] { "up", "down" })
                {
                    ct.ThrowIfCancellationRequested();
                    var run = await MeasureOneAsync(path, direction, repeat, settings.CapacitySeconds, ct);
                    settings.Progress(Inv($"capacity #{repeat} {path.Name} {direction}: {(run.Error ?? $"{run.Mbps:F0} Mbit/s, ferry CPU {run.FerryCpuSeconds / Math.Max(run.Seconds, 1e-9):P0} of a core")}"));
                    runs.Add(run);
                }
            }
        }
        return runs;
    }

    private static async Task<CapacityRun> MeasureOneAsync(PathUnderTest path, string direction, int repeat, double seconds, CancellationToken ct)
    {
        using var net = path.Build();
        var (cpuBefore, userBefore) = FerryCpu();
        var clock = Stopwatch.StartNew();
        // "up": the client sends; "down": the host sends (iperf3 -R).
        var result = await Iperf3Async(net, seconds, reverse: direction == "down", omitFirstSecond: true, ct);
        double elapsed = clock.Elapsed.TotalSeconds;
        var (cpuAfter, userAfter) = FerryCpu();
        return new CapacityRun(path.Name, direction, repeat, result.Mbps, result.Retransmits,
            cpuAfter - cpuBefore, userAfter - userBefore, Math.Min(elapsed, seconds + 1), result.Error, net.Note());
    }

    /// <summary>CPU seconds (total, user) of this process's ferry threads ("ferry up", "ferry down").</summary>
    private static (double Total, double User) FerryCpu()
    {
        double total = 0, user = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            // null: the thread ended while we looked.
            if (ProcCpu.ReadStat(Path.Combine(task, "stat")) is not { } times
                || !times.Name.StartsWith("ferry", StringComparison.Ordinal)) continue;
            total += times.UserSeconds + times.SystemSeconds;
            user += times.UserSeconds;
        }
        return (total, user);
    }

    private sealed record IperfResult(double Mbps, long Retransmits, string? Error);

    private static async Task<IperfResult> Iperf3Async(INet net, double seconds, bool reverse, bool omitFirstSecond, CancellationToken ct)
    {
        var serverStart = net.Server("iperf3", ["-s", "-1", "-p", IperfPort.ToString(CultureInfo.InvariantCulture)]);
        serverStart.RedirectStandardOutput = true;
        serverStart.RedirectStandardError = true;
        using var server = Process.Start(serverStart)!;
        try
        {
            var args = new List<string> { "-c", net.Host, "-p", IperfPort.ToString(CultureInfo.InvariantCulture), "-J", "-t", seconds.ToString("0.###", CultureInfo.InvariantCulture) };
            if (omitFirstSecond) args.AddRange(["-O", "1"]);
            if (reverse) args.Add("-R");
            string? lastError = null;
            // The server needs a moment to listen; iperf3 -c fails at once when it does not yet.
            for (int attempt = 0; attempt < 10; attempt++)
            {
                await Task.Delay(attempt == 0 ? 150 : 300, ct);
                var (exit, output) = await RunAsync(net.Client("iperf3", [.. args]), TimeSpan.FromSeconds(seconds + 20), ct);
                using var json = TryParse(output);
                if (json is not null && json.RootElement.TryGetProperty("end", out var end) && end.TryGetProperty("sum_received", out var received))
                {
                    double bps = received.GetProperty("bits_per_second").GetDouble();
                    long retransmits = end.TryGetProperty("sum_sent", out var sent) && sent.TryGetProperty("retransmits", out var r) ? r.GetInt64() : 0;
                    return new IperfResult(bps / 1e6, retransmits, null);
                }
                lastError = json is not null && json.RootElement.TryGetProperty("error", out var error) ? error.GetString() : $"exit {exit}: {Truncate(output)}";
                if (lastError is null || !lastError.Contains("connect", StringComparison.OrdinalIgnoreCase)) break;
            }
            return new IperfResult(0, 0, $"iperf3 failed: {lastError}");
        }
        finally
        {
            if (!server.WaitForExit(2_000)) server.Kill();
        }
    }

    private static JsonDocument? TryParse(string text)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException) { return null; }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text.Trim() : text[..300].Trim() + "...";

    private static async Task<(int Exit, string Output)> RunAsync(ProcessStartInfo start, TimeSpan limit, CancellationToken ct)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{string.Join(' ', start.ArgumentList)}' did not finish within {limit.TotalSeconds:F0} s");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    // ---------------------------------------------------------------- accuracy

    public static async Task<IReadOnlyList<AccuracyRow>> MeasureAccuracyAsync(EmulatorBenchSettings settings, CancellationToken ct)
    {
        var rows = new List<AccuracyRow>();
        void Add(AccuracyRow row)
        {
            rows.Add(row);
            settings.Progress($"accuracy {row.Link} {row.Quantity}: configured {row.Configured}, expected {row.Expected}, measured {row.Measured} ({row.Deviation}){(row.Ok ? "" : " MISSED")}");
        }

        // Goodput at the paper's rates: TCP through the link for RateSeconds; the ceiling is rate x 1448/1500.
        foreach (var (name, down, up) in PaperLinks)
        {
            foreach (var direction in new[] { "down", "up" })
            {
                var spec = new LinkOptions { Down = down, Up = up, Rtt = "20ms" }.ToSpec();
                double rate = direction == "down" ? spec.Down.RateBitsPerSecond!.Value : spec.Up.RateBitsPerSecond!.Value;
                using var net = new WorldNet(NewWorld(spec));
                var result = await Iperf3Async(net, settings.RateSeconds, reverse: direction == "down", omitFirstSecond: false, ct);
                double ceiling = rate * TcpPayloadShare / 1e3;
                double measured = result.Mbps * 1e3;
                double share = measured / ceiling;
                Add(new AccuracyRow($"{name} {down}/{up}, RTT 20 ms", $"TCP goodput {direction} (iperf3 -t {settings.RateSeconds:0.#})",
                    Kbit(rate / 1e3), Inv($"≤ {ceiling:F0} kbit/s (×1448/1500)"), result.Error ?? Inv($"{measured:F0} kbit/s"),
                    Inv($"{100 * share:F1}% of ceiling"), result.Error is null && share is >= 0.97 and <= 1.005,
                    "iperf3's receiver figure includes the handshake and slow start"));
            }
        }

        // RTT: ping through the link; expected = configured RTT + serialization of 84-byte packets each way.
        var rttCases = new (string Link, string Down, string Up, int RttMs)[]
        {
            ("DSL", "2mbit", "375kbit", 20), ("DSL", "2mbit", "375kbit", 200),
            ("cable", "4mbit", "1mbit", 20), ("cable", "4mbit", "1mbit", 50), ("cable", "4mbit", "1mbit", 100), ("cable", "4mbit", "1mbit", 200),
        };
        foreach (var (name, down, up, rttMs) in rttCases)
        {
            var spec = new LinkOptions { Down = down, Up = up, Rtt = $"{rttMs}ms" }.ToSpec();
            double serializationMs = PingPacketBytes * 8 * 1e3 / spec.Up.RateBitsPerSecond!.Value + PingPacketBytes * 8 * 1e3 / spec.Down.RateBitsPerSecond!.Value;
            double expected = rttMs + serializationMs;
            using var net = new WorldNet(NewWorld(spec));
            var ping = await PingAsync(net, 30, "0.05", ct);
            bool ok = ping.Received == 30 && ping.MinMs - expected is >= -0.05 and <= 1.0 && ping.AvgMs - expected <= 2.0;
            Add(new AccuracyRow($"{name} {down}/{up}", "RTT (ping -c 30, min / avg / max)", $"{rttMs} ms",
                Inv($"{expected:F2} ms (+{serializationMs:F2} serialization)"), Inv($"{ping.MinMs:F2} / {ping.AvgMs:F2} / {ping.MaxMs:F2} ms"),
                Inv($"min {ping.MinMs - expected:+0.00;-0.00} ms, avg {ping.AvgMs - expected:+0.00;-0.00} ms"), ok,
                "4 TUN crossings add ~0.1-0.3 ms"));
        }

        // Loss: pings on the cable link; each direction's own counters against the configured p (binomial 95%
        // interval), and ping's round-trip loss against 1-(1-p)^2.
        foreach (var lossPercent in new[] { 0.0, 0.5, 1.0, 2.0, 2.5 })
        {
            var spec = new LinkOptions { Down = "4mbit", Up = "1mbit", Rtt = "20ms", Loss = Inv($"{lossPercent}%"), Seed = "7" }.ToSpec();
            double p = lossPercent / 100;
            using var net = new WorldNet(NewWorld(spec));
            var ping = await PingAsync(net, settings.LossPings, "0.002", ct);
            net.World.WaitForQuiet(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3));
            foreach (var direction in new[] { net.World.Up, net.World.Down })
            {
                var c = direction.Counters;
                double measured = c.PacketsIn == 0 ? double.NaN : (double)c.LossDrops / c.PacketsIn;
                double ci = 1.96 * Math.Sqrt(p * (1 - p) / Math.Max(c.PacketsIn, 1));
                bool ok = p == 0 ? c.LossDrops == 0 : Math.Abs(measured - p) <= ci;
                Add(new AccuracyRow("cable 4mbit/1mbit, RTT 20 ms", $"loss {direction.Name} (link counters, {c.PacketsIn} packets)", Inv($"{lossPercent}%"),
                    p == 0 ? "0" : Inv($"{100 * Math.Max(0, p - ci):F2}-{100 * (p + ci):F2}% (95%)"), Inv($"{100 * measured:F2}% ({c.LossDrops} lost)"),
                    Inv($"{100 * (measured - p):+0.00;-0.00} points"), ok, "seed 7"));
            }
            double expectedRoundTrip = 1 - (1 - p) * (1 - p);
            double lost = (double)(settings.LossPings - ping.Received) / settings.LossPings;
            double ciRound = 1.96 * Math.Sqrt(expectedRoundTrip * (1 - expectedRoundTrip) / settings.LossPings);
            Add(new AccuracyRow("cable 4mbit/1mbit, RTT 20 ms", $"loss round trip (ping -c {settings.LossPings})", Inv($"{lossPercent}% each way"),
                p == 0 ? "0" : Inv($"{100 * expectedRoundTrip:F2}% ({100 * Math.Max(0, expectedRoundTrip - ciRound):F2}-{100 * (expectedRoundTrip + ciRound):F2}%)"),
                Inv($"{100 * lost:F2}% ({settings.LossPings - ping.Received} lost)"), Inv($"{100 * (lost - expectedRoundTrip):+0.00;-0.00} points"),
                p == 0 ? ping.Received == settings.LossPings : Math.Abs(lost - expectedRoundTrip) <= ciRound, "ping -W 1: a late reply counts as lost"));
        }
        return rows;
    }

    private sealed record PingResult(int Received, double MinMs, double AvgMs, double MaxMs);

    private static async Task<PingResult> PingAsync(INet net, int count, string interval, CancellationToken ct)
    {
        var (_, output) = await RunAsync(net.Client("ping", ["-q", "-n", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", interval, "-W", "1", net.Host]),
            TimeSpan.FromSeconds(count * double.Parse(interval, CultureInfo.InvariantCulture) + 20), ct);
        var received = Regex.Match(output, @"(\d+) received");
        var rtt = Regex.Match(output, @"= ([0-9.]+)/([0-9.]+)/([0-9.]+)/");
        double D(int group) => rtt.Success ? double.Parse(rtt.Groups[group].Value, CultureInfo.InvariantCulture) : double.NaN;
        return new PingResult(received.Success ? int.Parse(received.Groups[1].Value, CultureInfo.InvariantCulture) : 0, D(1), D(2), D(3));
    }

    private static string Kbit(double kbit) => kbit >= 1000 ? Inv($"{kbit / 1000:0.###} Mbit/s") : Inv($"{kbit:0.#} kbit/s");

    internal static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
