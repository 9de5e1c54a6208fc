using ScottPlot;
using SpdyLab.Reports.Statistics;

namespace SpdyLab.Reports.Charts;

/// <summary>
/// Grouped horizontal bars with 95% CI error bars: one group per category (a table row, e.g. "SPDY/3
/// single-domain + server push"), one bar per series (e.g. the DSL and cable links). Horizontal so the
/// paper's long row names stay readable without rotation.
/// </summary>
public sealed class BarChart(string id, string title) : Chart(id, title)
{
    public required IReadOnlyList<string> Categories { get; init; }
    public required IReadOnlyList<(string Name, IReadOnlyList<Estimate?> Values)> Series { get; init; }
    /// <summary>The value axis label, with its unit.</summary>
    public required string ValueLabel { get; init; }
    /// <summary>Formats a value for the bar's label and the ticks (e.g. "1,695", "2.40×").</summary>
    public Func<double, string> FormatValue { get; init; } = v => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    /// <summary>A vertical reference line (e.g. 1× the lower bound) and its label.</summary>
    public (double Value, string Label)? Reference { get; init; }
    /// <summary>Category indices before which a separator is drawn (e.g. where the TLS rows begin).</summary>
    public IReadOnlySet<int> Breaks { get; init; } = new HashSet<int>();

    // Plot units along the category axis: a bar is 1 tall, bars of a group 0.15 apart, groups 0.9 apart.
    private const double BarSize = 1, BarGap = 0.15, GroupGap = 0.9;
    /// <summary>CSS pixels per bar: with the gaps, the height follows the number of bars.</summary>
    private const double PixelsPerBar = 19;

    private double GroupSize => Series.Count * BarSize + (Series.Count - 1) * BarGap;

    public override int Height
    {
        get
        {
            var units = Categories.Count * GroupSize + Math.Max(0, Categories.Count - 1) * GroupGap + GroupGap;
            var chrome = (Subtitle is null ? 40 : 62) + (Series.Count > 1 || Reference is not null ? 30 : 0) + 70;
            return (int)Math.Ceiling(chrome + units * PixelsPerBar * (BarSize + BarGap) / BarSize);
        }
    }

    /// <summary>Where bar <paramref name="series"/> of category <paramref name="category"/> sits on the category axis (top to bottom).</summary>
    internal double Position(int category, int series) => -(category * (GroupSize + GroupGap) + series * (BarSize + BarGap) + BarSize / 2);

    protected override void Draw(Plot plot)
    {
        var legend = Series.Select((s, i) => (s.Name, Palette[i % Palette.Length], LegendMark.Box)).ToList();
        if (Reference is { } reference)
        {
            legend.Add((reference.Label, "#D55E00", LegendMark.DashedLine));
        }
        if (legend.Count > 1)
        {
            AddLegend(plot, legend);
        }

        var values = Series.SelectMany(s => s.Values).OfType<Estimate>().ToList();
        var max = values.Count == 0 ? 1 : values.Max(v => Math.Max(v.High, v.Value));
        if (Reference is { } line)
        {
            max = Math.Max(max, line.Value);
        }

        var bars = new List<Bar>();
        var errorY = new List<double>();
        var errorX = new List<double>();
        var errorLow = new List<double>();
        var errorHigh = new List<double>();
        for (var c = 0; c < Categories.Count; c++)
        {
            for (var s = 0; s < Series.Count; s++)
            {
                var position = Position(c, s);
                if (Series[s].Values[c] is not { } estimate)
                {
                    var none = plot.Add.Text("no data", 0, position);
                    StyleText(none, 11.5f, Muted);
                    none.OffsetX = 4;
                    continue;
                }
                bars.Add(new Bar
                {
                    Position = position,
                    Value = estimate.Value,
                    Size = BarSize,
                    FillColor = Color.FromHex(Palette[s % Palette.Length]),
                    LineWidth = 0,
                    Orientation = Orientation.Horizontal,
                });
                if (estimate.High > estimate.Low)
                {
                    errorY.Add(position);
                    errorX.Add(estimate.Value);
                    errorLow.Add(estimate.Value - estimate.Low);
                    errorHigh.Add(estimate.High - estimate.Value);
                }
                // The value, right of the error bar's end, so the two never overlap.
                var label = plot.Add.Text(FormatValue(estimate.Value), Math.Max(estimate.High, estimate.Value), position);
                StyleText(label, TickSize, Ink);
                label.OffsetX = 6;
            }
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        if (errorY.Count > 0)
        {
            var whiskers = new ScottPlot.Plottables.ErrorBar(errorX, errorY, errorHigh, errorLow, null!, null!)
            {
                LineWidth = 1.5f,
                LineColor = Ink,
                CapSize = 9,
            };
            plot.Add.Plottable(whiskers);
        }

        foreach (var c in Breaks.Where(b => b > 0 && b < Categories.Count))
        {
            var y = Position(c, 0) + BarSize / 2 + GroupGap / 2;
            var separator = plot.Add.HorizontalLine(y, 1, Color.FromHex("#999999"), LinePattern.Dashed);
            separator.ExcludeFromLegend = true;
        }
        if (Reference is { } referenceLine)
        {
            var vertical = plot.Add.VerticalLine(referenceLine.Value, 1.5f, Color.FromHex("#D55E00"), LinePattern.Dashed);
            vertical.ExcludeFromLegend = true;
        }

        // Room right of the longest label: its width in plot units, estimated from its characters.
        var plotPixels = Width * 0.62;
        var longest = values.Count == 0 ? 0 : values.Max(v => FormatValue(v.Value).Length) * TickSize * 0.62 + 14;
        var xMax = max / Math.Max(0.5, 1 - longest / plotPixels);
        var bottom = Position(Categories.Count - 1, Series.Count - 1) - BarSize / 2 - GroupGap / 2;
        plot.Axes.SetLimits(0, xMax, bottom, GroupGap / 2);

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, Categories.Count).Select(c => (Position(c, 0) + Position(c, Series.Count - 1)) / 2).ToArray(),
            Categories.ToArray());
        plot.Axes.Left.TickLabelStyle.FontSize = LabelSize - 0.5f;
        plot.Axes.Left.TickLabelStyle.ForeColor = Ink;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickGenerator = Ticks(v => v < 0 ? "" : FormatValue(v));
        plot.Axes.Bottom.Label.Text = ValueLabel;
        plot.Axes.Bottom.Label.Bold = true;
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 0;
    }

    private static void StyleText(ScottPlot.Plottables.Text text, float size, Color color)
    {
        text.LabelFontName = ChartFont.Family;
        text.LabelFontSize = size;
        text.LabelFontColor = color;
        text.LabelAlignment = Alignment.MiddleLeft;
    }
}
