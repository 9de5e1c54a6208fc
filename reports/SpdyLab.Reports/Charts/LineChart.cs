using ScottPlot;
using SpdyLab.Reports.Statistics;

namespace SpdyLab.Reports.Charts;

/// <summary>
/// Lines over a numeric x axis: one line per series with markers and 95% confidence-interval error bars
/// (Tables 2 and 3), or empirical CDFs drawn as steps (<see cref="Step"/>).
/// </summary>
public sealed class LineChart(string id, string title) : Chart(id, title)
{
    public required IReadOnlyList<(string Name, IReadOnlyList<(double X, Estimate Y)> Points)> Series { get; init; }
    public required string XLabel { get; init; }
    public required string YLabel { get; init; }
    /// <summary>Multiplies axis values for their tick labels (100 to show fractions as percent) and the suffix after them.</summary>
    public (double Factor, string Suffix) XTicks { get; init; } = (1, "");
    public (double Factor, string Suffix) YTicks { get; init; } = (1, "");
    /// <summary>Draw steps (an empirical CDF) instead of lines with markers and error bars.</summary>
    public bool Step { get; init; }
    /// <summary>Start the y axis at zero (page load times) rather than at the data's minimum.</summary>
    public bool YFromZero { get; init; } = true;
    public int ChartHeight { get; init; } = 540;
    /// <summary>A colour per series (so a configuration keeps its colour from chart to chart); the palette in order when null.</summary>
    public IReadOnlyList<string>? Colors { get; init; }
    /// <summary>Series drawn dashed (e.g. the TLS rows), by index.</summary>
    public IReadOnlySet<int> Dashed { get; init; } = new HashSet<int>();

    private string ColorOf(int series) => Colors is { } colors && series < colors.Count ? colors[series] : Palette[series % Palette.Length];

    public override int Height => ChartHeight;

    protected override void Draw(Plot plot)
    {
        AddLegend(plot, Series.Select((s, i) => (s.Name, ColorOf(i),
            Dashed.Contains(i) ? LegendMark.DashedLine : Step ? LegendMark.Line : LegendMark.LineWithMarker)));

        var points = Series.SelectMany(s => s.Points).ToList();
        var xMin = points.Count == 0 ? 0 : points.Min(p => p.X);
        var xMax = points.Count == 0 ? 1 : points.Max(p => p.X);
        if (xMax <= xMin)
        {
            (xMin, xMax) = (xMin - 1, xMax + 1);
        }
        var yMin = points.Count == 0 ? 0 : points.Min(p => p.Y.Low);
        var yMax = points.Count == 0 ? 1 : points.Max(p => p.Y.High);
        if (YFromZero)
        {
            yMin = Math.Min(0, yMin);
            yMax = Math.Max(0, yMax);
        }
        if (yMax <= yMin)
        {
            yMax = yMin + 1;
        }

        for (var s = 0; s < Series.Count; s++)
        {
            var series = Series[s].Points.OrderBy(p => p.X).ToList();
            if (series.Count == 0)
            {
                continue;
            }
            var color = Color.FromHex(ColorOf(s));
            var pattern = Dashed.Contains(s) ? LinePattern.Dashed : LinePattern.Solid;
            if (Step)
            {
                // An empirical CDF: 0 left of the first value, up one step at each value, flat to the right edge.
                var xs = new List<double> { series[0].X };
                var ys = new List<double> { 0 };
                var previous = 0.0;
                foreach (var (px, py) in series)
                {
                    xs.AddRange([px, px]);
                    ys.AddRange([previous, py.Value]);
                    previous = py.Value;
                }
                xs.Add(xMax);
                ys.Add(previous);
                var steps = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), color);
                steps.LineWidth = 2.2f;
                steps.LinePattern = pattern;
                steps.MarkerSize = 0;
                continue;
            }
            var intervals = series.Where(p => p.Y.High > p.Y.Low).ToList();
            if (intervals.Count > 0)
            {
                var whiskers = new ScottPlot.Plottables.ErrorBar(intervals.Select(p => p.X).ToList(), intervals.Select(p => p.Y.Value).ToList(),
                    null!, null!, intervals.Select(p => p.Y.High - p.Y.Value).ToList(), intervals.Select(p => p.Y.Value - p.Y.Low).ToList())
                {
                    LineWidth = 1.6f,
                    LineColor = color,
                    CapSize = 8,
                };
                plot.Add.Plottable(whiskers);
            }
            var line = plot.Add.Scatter(series.Select(p => p.X).ToArray(), series.Select(p => p.Y.Value).ToArray(), color);
            line.LineWidth = 2.2f;
            line.LinePattern = pattern;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.MarkerSize = 8;
        }

        var xPad = (xMax - xMin) * 0.03;
        var yPad = (yMax - yMin) * 0.04;
        plot.Axes.SetLimits(xMin - (Step ? 0 : xPad), xMax + (Step ? 0 : xPad), YFromZero && yMin >= 0 ? 0 : yMin - yPad, yMax + yPad);
        var sweep = points.Select(p => p.X).Distinct().Order().ToArray();
        // A sweep (a few loss rates or RTTs) is labelled at its own points, as the paper's tables list them.
        plot.Axes.Bottom.TickGenerator = !Step && sweep.Length is > 1 and <= 12
            ? new ScottPlot.TickGenerators.NumericManual(sweep, sweep.Select(x => FormatTick(x, XTicks.Factor, XTicks.Suffix)).ToArray())
            : Ticks(v => FormatTick(v, XTicks.Factor, XTicks.Suffix), 8);
        plot.Axes.Left.TickGenerator = Ticks(v => FormatTick(v, YTicks.Factor, YTicks.Suffix), 8);
        plot.Axes.Bottom.Label.Text = XLabel;
        plot.Axes.Bottom.Label.Bold = true;
        plot.Axes.Left.Label.Text = YLabel;
        plot.Axes.Left.Label.Bold = true;
    }
}
