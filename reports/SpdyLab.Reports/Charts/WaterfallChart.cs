using ScottPlot;
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

/// <summary>
/// A request waterfall: one row per request (first request at the top), each a horizontal bar from its start
/// split into its HAR phases, on a millisecond axis.
/// </summary>
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

    private const double RowHeight = 16;
    private int Rows => Math.Min(Entries.Count, MaxRows);

    public override int Height => (int)Math.Ceiling((Subtitle is null ? 40 : 62) + 30 + Rows * RowHeight + 80);

    protected override void Draw(Plot plot)
    {
        AddLegend(plot, DrawnPhases().Select(p => (p, PhaseColors[p], LegendMark.Box)));
        var end = Entries.Count == 0 ? 1 : Entries.Take(Rows).Max(e => e.EndMs);
        end = Math.Max(end, 1);

        var bars = new List<Bar>();
        for (var i = 0; i < Rows; i++)
        {
            var entry = Entries[i];
            var x = entry.StartMs;
            foreach (var (phase, ms) in entry.Phases)
            {
                bars.Add(new Bar
                {
                    Position = -i,
                    ValueBase = x,
                    // At least a hairline, so a 0.1 ms phase still shows where it is.
                    Value = x + Math.Max(ms, end / 1500),
                    Size = 0.7,
                    FillColor = Color.FromHex(PhaseColors.GetValueOrDefault(phase, "#888888")),
                    LineWidth = 0,
                    Orientation = Orientation.Horizontal,
                });
                x += ms;
            }
        }
        // Every other row shaded, so the eye can follow a row from its URL to its bar.
        for (var i = 0; i < Rows; i += 2)
        {
            var stripe = plot.Add.VerticalSpan(-i - 0.5, -i + 0.5, Color.FromHex("#f3f3f3"));
            stripe.LineWidth = 0;
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;

        plot.Axes.SetLimits(0, end * 1.02, -Rows + 0.5, 0.5);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, Rows).Select(i => (double)-i).ToArray(),
            Entries.Take(Rows).Select(e => Fit(ShortUrl(e.Url), 44)).ToArray());
        plot.Axes.Left.TickLabelStyle.FontSize = 11;
        plot.Axes.Left.TickLabelStyle.ForeColor = Ink;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickGenerator = Ticks(v => FormatTick(v), 8);
        plot.Axes.Bottom.Label.Text = Entries.Count > MaxRows
            ? $"time since navigation start (ms); {Entries.Count - MaxRows} more requests not drawn"
            : "time since navigation start (ms)";
        plot.Axes.Bottom.Label.Bold = true;
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 0;
    }

    /// <summary>The phases that occur in the drawn rows, in HAR order: the legend lists only what is on the chart.</summary>
    internal IEnumerable<string> DrawnPhases() =>
        HarTimeline.Phases.Where(p => Entries.Take(Rows).Any(e => e.Phases.Any(ph => ph.Phase == p)));

    /// <summary>Host and path, without the scheme: what a reader recognizes.</summary>
    internal static string ShortUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host + uri.PathAndQuery : url;

    /// <summary>Shortens a text to a number of characters, with an ellipsis.</summary>
    internal static string Fit(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
