using System.Globalization;
using System.Text.Json;

namespace SpdyLab.Reports.Charts;

/// <summary>One request of a page load, from a HAR 1.2 entry: when it started and how long each phase took.</summary>
public sealed record WaterfallEntry(string Url, double StartMs, IReadOnlyList<(string Phase, double Ms)> Phases)
{
    public double EndMs => StartMs + Phases.Sum(p => p.Ms);
}

/// <summary>Reads the request timeline of a HAR 1.2 file (log.entries[].startedDateTime and timings).</summary>
public static class HarTimeline
{
    /// <summary>HAR 1.2 timing phases in the order they happen (§ "timings"); -1 means "does not apply".</summary>
    public static readonly string[] Phases = ["blocked", "dns", "connect", "ssl", "send", "wait", "receive"];

    public static IReadOnlyList<WaterfallEntry> Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        if (!document.RootElement.TryGetProperty("log", out var log) || !log.TryGetProperty("entries", out var entries))
        {
            throw new FormatException($"{path}: not a HAR file (no log.entries)");
        }
        var raw = new List<(string Url, DateTimeOffset Start, List<(string, double)> Phases)>();
        foreach (var entry in entries.EnumerateArray())
        {
            var url = entry.GetProperty("request").GetProperty("url").GetString() ?? "";
            var started = DateTimeOffset.Parse(entry.GetProperty("startedDateTime").GetString()!, CultureInfo.InvariantCulture);
            var phases = new List<(string, double)>();
            var timings = entry.GetProperty("timings");
            foreach (var phase in Phases)
            {
                if (timings.TryGetProperty(phase, out var value) && value.ValueKind == JsonValueKind.Number && value.GetDouble() > 0)
                {
                    phases.Add((phase, value.GetDouble()));
                }
            }
            // HAR 1.2: "ssl" time is also included in "connect"; draw it once.
            var ssl = phases.FirstOrDefault(p => p.Item1 == "ssl").Item2;
            if (ssl > 0)
            {
                var i = phases.FindIndex(p => p.Item1 == "connect");
                if (i >= 0)
                {
                    phases[i] = ("connect", Math.Max(0, phases[i].Item2 - ssl));
                }
            }
            raw.Add((url, started, phases));
        }
        if (raw.Count == 0)
        {
            return [];
        }
        var origin = raw.Min(e => e.Start);
        return raw.OrderBy(e => e.Start)
            .Select(e => new WaterfallEntry(e.Url, (e.Start - origin).TotalMilliseconds, e.Phases))
            .ToList();
    }
}

/// <summary>A request waterfall: one row per request, bars split into HAR phases, on a millisecond axis.</summary>
public sealed class WaterfallChart(string id, string title) : Chart(id, title)
{
    public required IReadOnlyList<WaterfallEntry> Entries { get; init; }
    /// <summary>Draw at most this many requests (the rest are counted in a note at the bottom).</summary>
    public int MaxRows { get; init; } = 60;

    private static readonly Dictionary<string, string> PhaseColors = new()
    {
        ["blocked"] = "#c8c8c8", ["dns"] = "#009E73", ["connect"] = "#E69F00", ["ssl"] = "#CC79A7",
        ["send"] = "#56B4E9", ["wait"] = "#a6d8a0", ["receive"] = "#0072B2",
    };

    private const double RowHeight = 15, Left = 330, Right = 30;
    private int Rows => Math.Min(Entries.Count, MaxRows);
    private double Top => (Subtitle is null ? 36 : 60) + 26 + 30;

    public override int Height => (int)Math.Ceiling(Top + Rows * RowHeight + (Entries.Count > MaxRows ? 22 : 0) + 62);

    public override string ToSvg()
    {
        var svg = new SvgWriter(Width, Height);
        var y0 = DrawHeading(svg);
        DrawLegend(svg, y0, Width, SvgPhases().Select(p => (p, PhaseColors[p], LegendMark.Box)).ToList());
        var end = Entries.Count == 0 ? 1 : Entries.Max(e => e.EndMs);
        var scale = new LinearScale(0, end, Left, Width - Right, 8);
        var bottom = Top + Rows * RowHeight;
        foreach (var tick in scale.Ticks())
        {
            svg.Line(scale[tick], Top - 6, scale[tick], bottom, "#e3e3e3");
            svg.Text(scale[tick], Top - 12, scale.Format(tick), TickSize, "middle", "#333");
        }
        for (var i = 0; i < Rows; i++)
        {
            var entry = Entries[i];
            var y = Top + i * RowHeight;
            if (i % 2 == 0)
            {
                svg.Rect(8, y, Width - 16, RowHeight, "#f6f6f6");
            }
            svg.Text(Left - 8, y + RowHeight / 2, SvgWriter.Fit(ShortUrl(entry.Url), 11, Left - 24), 11, "end", baseline: "central");
            var x = entry.StartMs;
            foreach (var (phase, ms) in entry.Phases)
            {
                svg.Rect(scale[x], y + 2, Math.Max(1, scale[x + ms] - scale[x]), RowHeight - 4, PhaseColors.GetValueOrDefault(phase, "#888"),
                    title: $"{entry.Url}: {phase} {ms.ToString("0.0", CultureInfo.InvariantCulture)} ms");
                x += ms;
            }
        }
        svg.Line(Left, bottom, Width - Right, bottom, "#444");
        foreach (var tick in scale.Ticks())
        {
            svg.Text(scale[tick], bottom + 16, scale.Format(tick), TickSize, "middle", "#333");
        }
        var below = bottom + 18;
        if (Entries.Count > MaxRows)
        {
            svg.Text(Left, below + 16, $"… and {Entries.Count - MaxRows} more requests (not drawn)", 11.5, fill: "#555");
            below += 22;
        }
        svg.Text((Left + Width - Right) / 2, below + 30, "time since navigation start (ms)", LabelSize, "middle", bold: true);
        return svg.ToSvg(Title);
    }

    private IEnumerable<string> SvgPhases() => HarTimeline.Phases.Where(p => Entries.Any(e => e.Phases.Any(ph => ph.Phase == p)));

    /// <summary>Host and path, without the scheme: what a reader recognizes.</summary>
    internal static string ShortUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host + uri.PathAndQuery : url;
}
