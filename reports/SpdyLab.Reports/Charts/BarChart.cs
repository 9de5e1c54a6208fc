using SpdyLab.Reports.Statistics;

namespace SpdyLab.Reports.Charts;

/// <summary>
/// Grouped horizontal bars with 95% CI whiskers: one group per category (a table row, e.g. "SPDY/3
/// single-domain + server push"), one bar per series (e.g. the DSL and cable links). Horizontal so the
/// paper's long row names stay readable without rotation.
/// </summary>
public sealed class BarChart(string id, string title) : Chart(id, title)
{
    public required IReadOnlyList<string> Categories { get; init; }
    public required IReadOnlyList<(string Name, IReadOnlyList<Estimate?> Values)> Series { get; init; }
    /// <summary>The value axis label, with its unit.</summary>
    public required string ValueLabel { get; init; }
    /// <summary>Formats a value for the bar's label and the ticks (e.g. "1,695 ms", "2.4×").</summary>
    public Func<double, string> FormatValue { get; init; } = v => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    /// <summary>A vertical reference line (e.g. 1× the lower bound) and its label.</summary>
    public (double Value, string Label)? Reference { get; init; }
    /// <summary>Category indices before which a separator is drawn (e.g. where the TLS rows begin).</summary>
    public IReadOnlySet<int> Breaks { get; init; } = new HashSet<int>();

    private const double BarHeight = 18, BarGap = 3, GroupGap = 16, Right = 30;

    private double LegendHeight => Series.Count > 1 ? 26 : 0;
    private double Top => (Subtitle is null ? 36 : 60) + LegendHeight + 16;
    private double GroupHeight => Series.Count * BarHeight + (Series.Count - 1) * BarGap;

    public override int Height => (int)Math.Ceiling(Top + Categories.Count * (GroupHeight + GroupGap) + 64);

    public override string ToSvg()
    {
        var svg = new SvgWriter(Width, Height);
        var y0 = DrawHeading(svg);
        if (Series.Count > 1)
        {
            DrawLegend(svg, y0, Width, Series.Select((s, i) => (s.Name, Palette[i % Palette.Length], LegendMark.Box)).ToList());
        }

        var labelWidth = Math.Min(Width * 0.42, Categories.Max(c => SvgWriter.TextWidth(c, LabelSize)) + 12);
        var left = labelWidth + 14;
        var plotBottom = Height - 64;
        var values = Series.SelectMany(s => s.Values).Where(v => v is not null).Select(v => v!).ToList();
        var max = values.Count == 0 ? 1 : values.Max(v => Math.Max(v.High, v.Value));
        if (Reference is { } reference)
        {
            max = Math.Max(max, reference.Value);
        }
        // Room on the right of the longest whisker for its value label.
        var longestLabel = values.Count == 0 ? 0 : values.Max(v => SvgWriter.TextWidth(FormatValue(v.Value), TickSize));
        var plotWidth = Width - left - Right;
        var scale = new LinearScale(0, max / Math.Max(0.5, 1 - (longestLabel * 0.9 + 8) / plotWidth), left, Width - Right);

        foreach (var tick in scale.Ticks())
        {
            var x = scale[tick];
            svg.Line(x, Top - 6, x, plotBottom, tick == 0 ? "#444" : "#e3e3e3");
            svg.Text(x, plotBottom + 18, FormatValue(tick), TickSize, "middle", "#333");
        }
        svg.Text(left + plotWidth / 2, plotBottom + 44, ValueLabel, LabelSize, "middle", bold: true);

        for (var c = 0; c < Categories.Count; c++)
        {
            var groupTop = Top + c * (GroupHeight + GroupGap);
            if (Breaks.Contains(c))
            {
                svg.Line(8, groupTop - GroupGap / 2, Width - Right, groupTop - GroupGap / 2, "#999", 1, "4 3");
            }
            svg.Text(left - 10, groupTop + GroupHeight / 2, SvgWriter.Fit(Categories[c], LabelSize, labelWidth), LabelSize, "end", baseline: "central");
            for (var s = 0; s < Series.Count; s++)
            {
                var estimate = Series[s].Values[c];
                var barTop = groupTop + s * (BarHeight + BarGap);
                if (estimate is null)
                {
                    svg.Text(left + 4, barTop + BarHeight / 2, "no data", 11, fill: "#888", baseline: "central");
                    continue;
                }
                var color = Palette[s % Palette.Length];
                var tooltip = $"{Series[s].Name}, {Categories[c]}: {FormatValue(estimate.Value)} (95% CI {FormatValue(estimate.Low)}–{FormatValue(estimate.High)}, n={estimate.N})";
                svg.Rect(left, barTop, scale[estimate.Value] - left, BarHeight, color, title: tooltip);
                var middle = barTop + BarHeight / 2;
                if (estimate.High > estimate.Low)
                {
                    svg.Line(scale[estimate.Low], middle, scale[estimate.High], middle, "#222", 1.5);
                    svg.Line(scale[estimate.Low], middle - 5, scale[estimate.Low], middle + 5, "#222", 1.5);
                    svg.Line(scale[estimate.High], middle - 5, scale[estimate.High], middle + 5, "#222", 1.5);
                }
                svg.Text(scale[Math.Max(estimate.High, estimate.Value)] + 6, middle, FormatValue(estimate.Value), TickSize, baseline: "central", fill: "#222", halo: true);
            }
        }

        if (Reference is { } line)
        {
            var x = scale[line.Value];
            svg.Line(x, Top - 10, x, plotBottom, "#D55E00", 1.5, "6 4");
            svg.Text(x + 4, Top - 10, line.Label, 11.5, fill: "#D55E00", halo: true);
        }
        return svg.ToSvg(Title);
    }
}
