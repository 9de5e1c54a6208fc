using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SpdyLab.Lab.Bench;

/// <summary>The Markdown that <c>spdylab bench server</c> prints and writes to docs/benchmarks.md.</summary>
internal static class BenchReport
{
    public const string BeginMarker = "<!-- bench server: begin (spdylab bench server --out rewrites up to the end marker) -->";
    public const string EndMarker = "<!-- bench server: end -->";

    public static string Render(ServerBenchSettings settings, IReadOnlyList<BenchResult> results, DateTimeOffset started,
        string loadBefore, string loadAfter, string? machineNote)
    {
        var md = new StringBuilder();
        md.AppendLine("## Server throughput");
        md.AppendLine();
        md.AppendLine(Inv($"Run {started:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; {settings.Seconds} s measured per cell. Load average (1/5/15 min) before: {loadBefore}; after: {loadAfter}."));
        if (machineNote is not null)
        {
            md.AppendLine();
            md.AppendLine($"**Note:** {machineNote}");
        }
        md.AppendLine();
        md.AppendLine("One ASP.NET Core app (in-memory resources, byte i = i % 251) on three cleartext loopback listeners of the");
        md.AppendLine("same Kestrel host: SPDY/3.1 (ours, `ListenSpdy`), HTTP/2 (Kestrel, h2c prior knowledge) and HTTP/1.1");
        md.AppendLine("(Kestrel). node-spdy 4.0.2 serves the same bytes (`tools/peers/spdy-file-server.js`, held in memory).");
        md.AppendLine("Load CxS = C connections with S requests in flight on each (HTTP/1.1: CxS pooled connections, one");
        md.AppendLine("request each). Our generators (SpdyClientConnection, HttpClient) run in the bench's process after a");
        md.AppendLine("short warm-up and check every body byte; h2load runs as its own process and checks status and byte counts.");
        md.AppendLine("CPU/req = CPU time of every process in the cell (generator + server) / requests; with our generators");
        md.AppendLine("against our server both sides share one process, so it is always client + server.");
        md.AppendLine("*raw frames* (lab/SpdyLab.Lab/Bench/RawLoad.cs) is a lean generator with one design for SPDY/3.1 and HTTP/2:");
        md.AppendLine("one thread and blocking socket per connection, pre-built requests (SPDY: the fixed name/value block goes through");
        md.AppendLine("the session's zlib context until its compressed bytes repeat, then those bytes are replayed; the server still");
        md.AppendLine("inflates every block), responses counted not decoded (DATA bytes per stream, end of");
        md.AppendLine("stream, resets, GOAWAY; a response is good with exactly the expected body length), wide stream windows and the");
        md.AppendLine("connection window topped up. Its SPDY/HTTP/2 ratio measures the servers. Server CPU/req subtracts the generator:");
        md.AppendLine("its threads' own CPU (raw frames) or its process (h2load).");
        md.AppendLine();
        md.AppendLine("| size | load | server | generator | req/s | p50 ms | p99 ms | CPU µs/req | server CPU µs/req | requests | errors | bad bodies |");
        md.AppendLine("|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var c = r.Cell;
            if (r.Skipped)
            {
                md.AppendLine($"| {SizeText(c.Size)} | {c.Load} | {c.Server} | {c.Generator} | skipped: {r.Note} | | | | | | | |");
                continue;
            }
            md.AppendLine(Inv($"| {SizeText(c.Size)} | {c.Load} | {c.Server} | {c.Generator} | {r.RequestsPerSecond:F0} | {Ms(r.P50Ms)} | {Ms(r.P99Ms)} | {Micros(r.CpuMicrosPerRequest)} | {Micros(r.ServerCpuMicrosPerRequest)} | {r.Requests} | {r.Errors} | {r.BadBodies} |"));
        }
        var notes = results.Where(r => !r.Skipped && r.Note is not null).ToList();
        if (notes.Count > 0)
        {
            md.AppendLine();
            foreach (var r in notes)
            {
                md.AppendLine($"- {SizeText(r.Cell.Size)} {r.Cell.Load} {r.Cell.Server} via {r.Cell.Generator}: {r.Note}");
            }
        }

        md.AppendLine();
        md.AppendLine("### Ratios (requests per second, same run)");
        md.AppendLine();
        md.AppendLine("Targets: SPDY(ours)/HTTP/2(Kestrel) ≥ 0.9 and SPDY(ours)/node-spdy ≥ 3, at the same concurrency.");
        md.AppendLine("The HTTP/2 ratio uses the same kind of in-process generator on both sides (SpdyClientConnection vs HttpClient);");
        md.AppendLine("the raw-frames ratio drives both servers with one lean generator of the same design, so it compares the servers;");
        md.AppendLine("the h2load column shows what Kestrel's HTTP/2 does when an independent C generator drives it (a cross-check of the");
        md.AppendLine("raw-frames HTTP/2 figure). The *level 0* column is a diagnostic, not a target: the same raw-frames ratio with");
        md.AppendLine("our server deflating its reply headers at zlib level 0 (stored blocks) instead of Chromium's level 9, measured in");
        md.AppendLine("the same run; the gap between the two columns is what level-9 header compression costs our server.");
        md.AppendLine();
        md.AppendLine("| size | load | SPDY(ours)/HTTP/2(Kestrel), raw frames | same, our reply headers at zlib level 0 (diagnostic) | SPDY(ours)/HTTP/2(Kestrel), own clients | SPDY(ours)/node-spdy | SPDY(ours) raw req/s | HTTP/2 raw req/s | HTTP/2 h2load req/s | SPDY(ours) SpdyClientConnection req/s | HTTP/2 HttpClient req/s | HTTP/1.1 req/s | node-spdy req/s |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in results.GroupBy(r => (r.Cell.Size, r.Cell.Load)))
        {
            double Rps(BenchTarget t) => group.FirstOrDefault(r => r.Cell.Target == t) is { Skipped: false } r ? r.RequestsPerSecond : double.NaN;
            var ours = Rps(BenchTarget.SpdyOurs);
            var oursRaw = Rps(BenchTarget.SpdyOursRawFrames);
            var h2Raw = Rps(BenchTarget.Http2KestrelRawFrames);
            md.AppendLine(Inv($"| {SizeText(group.Key.Size)} | {group.Key.Load} | {Ratio(oursRaw, h2Raw, 0.9)} | {Ratio(Rps(BenchTarget.SpdyOursRawFramesStoredHeaders), h2Raw, double.NaN)} | {Ratio(ours, Rps(BenchTarget.Http2Kestrel), 0.9)} | {Ratio(ours, Rps(BenchTarget.SpdyNode), 3)} | {Num(oursRaw)} | {Num(h2Raw)} | {Num(Rps(BenchTarget.Http2KestrelH2load))} | {Num(ours)} | {Num(Rps(BenchTarget.Http2Kestrel))} | {Num(Rps(BenchTarget.Http11Kestrel))} | {Num(Rps(BenchTarget.SpdyNode))} |"));
        }
        return md.ToString();
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public static string SizeText(int size) => size % 1024 == 0 ? $"{size / 1024} KB" : $"{size} B";

    private static string Ratio(double ours, double other, double target) =>
        double.IsNaN(ours) || double.IsNaN(other) || other <= 0 ? "n/a" : Inv($"{ours / other:F2}{(double.IsNaN(target) || ours / other >= target ? "" : " (below target)")}");

    private static string Num(double value) => double.IsNaN(value) ? "n/a" : Inv($"{value:F0}");

    private static string Ms(double value) => double.IsNaN(value) ? "n/a" : Inv($"{value:F2}");

    // One decimal below 100 µs: the 1 KB cells cost 2-8 µs a request, where whole microseconds hide differences of 20-40%.
    private static string Micros(double value) => double.IsNaN(value) ? "n/a" : value < 100 ? Inv($"{value:F1}") : Inv($"{value:F0}");

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
