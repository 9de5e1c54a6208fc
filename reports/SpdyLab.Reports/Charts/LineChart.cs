using SpdyLab.Reports.Statistics;

namespace SpdyLab.Reports.Charts;

/// <summary>
/// Lines over a numeric x axis: one line per series with a shaded 95% confidence band (Tables 2 and 3),
/// or empirical CDFs drawn as steps (<see cref="Step"/>).
/// </summary>
public sealed class LineChart(string id, string title) : Chart(id, title)
{
    public required IReadOnlyList<(string Name, IReadOnlyList<(double X, Estimate Y)> Points)> Series { get; init; }
    public required string XLabel { get; init; }
    public required string YLabel { get; init; }
    /// <summary>Multiplies axis values for their tick labels (100 to show fractions as percent) and the suffix after them.</summary>
    public (double Factor, string Suffix) XTicks { get; init; } = (1, "");
    public (double Factor, string Suffix) YTicks { get; init; } = (1, "");
    /// <summary>Draw steps (an empirical CDF) instead of lines with markers and bands.</summary>
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

    public override string ToSvg()
    {
        var svg = new SvgWriter(Width, Height);
        var y0 = DrawHeading(svg);
        var legendBottom = DrawLegend(svg, y0, Width, Series.Select((s, i) => (s.Name, ColorOf(i),
            Dashed.Contains(i) ? LegendMark.DashedLine : Step ? LegendMark.Line : LegendMark.LineWithMarker)).ToList());
        var points = Series.SelectMany(s => s.Points).ToList();
        var top = legendBottom + 18;
        const double left = 84, right = 30;
        var bottom = Height - 62.0;

        var xMin = points.Count == 0 ? 0 : points.Min(p => p.X);
        var xMax = points.Count == 0 ? 1 : points.Max(p => p.X);
        var yMin = points.Count == 0 ? 0 : points.Min(p => p.Y.Low);
        var yMax = points.Count == 0 ? 1 : points.Max(p => p.Y.High);
        if (YFromZero)
        {
            yMin = Math.Min(0, yMin);
            yMax = Math.Max(0, yMax);
        }
        var x = new LinearScale(xMin, xMax, left, Width - right, 8);
        var y = new LinearScale(yMin, yMax, bottom, top, 6);

        foreach (var tick in y.Ticks())
        {
            svg.Line(left, y[tick], Width - right, y[tick], tick == 0 ? "#444" : "#e3e3e3", tick == 0 ? 1.2 : 1);
            svg.Text(left - 8, y[tick], y.Format(tick, YTicks.Factor, YTicks.Suffix), TickSize, "end", "#333", baseline: "central");
        }
        foreach (var tick in x.Ticks())
        {
            svg.Line(x[tick], bottom, x[tick], bottom + 5, "#444");
            svg.Text(x[tick], bottom + 20, x.Format(tick, XTicks.Factor, XTicks.Suffix), TickSize, "middle", "#333");
        }
        svg.Line(left, bottom, Width - right, bottom, "#444");
        svg.Line(left, top, left, bottom, "#444");
        svg.Text((left + Width - right) / 2, Height - 18, XLabel, LabelSize, "middle", bold: true);
        svg.Text(22, (top + bottom) / 2, YLabel, LabelSize, "middle", bold: true, rotate: -90);

        for (var s = 0; s < Series.Count; s++)
        {
            var color = ColorOf(s);
            var dash = Dashed.Contains(s) ? "7 4" : null;
            var series = Series[s].Points.OrderBy(p => p.X).ToList();
            if (series.Count == 0)
            {
                continue;
            }
            if (Step)
            {
                var steps = new List<(double, double)> { (x[series[0].X], y[0]) };
                var previous = 0.0;
                foreach (var (px, py) in series)
                {
                    steps.Add((x[px], y[previous]));
                    steps.Add((x[px], y[py.Value]));
                    previous = py.Value;
                }
                steps.Add((Width - right, y[previous]));
                svg.Polyline(steps, color, 2.2, dash);
                continue;
            }
            if (series.Any(p => p.Y.High > p.Y.Low))
            {
                var band = series.Select(p => (x[p.X], y[p.Y.High])).Concat(series.AsEnumerable().Reverse().Select(p => (x[p.X], y[p.Y.Low])));
                svg.Polygon(band, color, 0.16);
            }
            svg.Polyline(series.Select(p => (x[p.X], y[p.Y.Value])), color, 2.2, dash);
            foreach (var (px, py) in series)
            {
                svg.Circle(x[px], y[py.Value], 4, color,
                    $"{Series[s].Name}: {x.Format(px, XTicks.Factor, XTicks.Suffix)} → {y.Format(py.Value, YTicks.Factor, YTicks.Suffix)} " +
                    $"(95% CI {y.Format(py.Low, YTicks.Factor, YTicks.Suffix)}–{y.Format(py.High, YTicks.Factor, YTicks.Suffix)}, n={py.N})");
            }
        }
        return svg.ToSvg(Title);
    }
}
