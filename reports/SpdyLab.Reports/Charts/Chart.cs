using System.Globalization;

namespace SpdyLab.Reports.Charts;

/// <summary>A chart of the report: an id (file name), a title, a size in CSS pixels, and its SVG.</summary>
public abstract class Chart(string id, string title)
{
    public string Id { get; } = id;
    public string Title { get; } = title;
    /// <summary>One line under the title: what the marks and whiskers mean.</summary>
    public string? Subtitle { get; init; }
    public int Width { get; init; } = 960;
    /// <summary>The height; charts whose height follows their content (bars, waterfall) compute it.</summary>
    public abstract int Height { get; }

    public abstract string ToSvg();

    /// <summary>Okabe-Ito colours: distinguishable with the common colour-vision deficiencies, and in greyscale print.</summary>
    public static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999"];

    protected const double TitleSize = 18, SubtitleSize = 12.5, LabelSize = 13, TickSize = 12;

    /// <summary>Title and subtitle at the top; returns the y below them.</summary>
    protected double DrawHeading(SvgWriter svg)
    {
        svg.Text(Width / 2.0, 28, Title, TitleSize, "middle", bold: true);
        var y = 36.0;
        if (Subtitle is not null)
        {
            svg.Text(Width / 2.0, 52, Subtitle, SubtitleSize, "middle", "#555");
            y = 60;
        }
        return y;
    }

    /// <summary>A legend laid out in rows, left to right, centred; returns the y below it.</summary>
    protected static double DrawLegend(SvgWriter svg, double top, double width, IReadOnlyList<(string Name, string Color, LegendMark Mark)> items)
    {
        if (items.Count == 0)
        {
            return top;
        }
        const double size = 12.5, swatch = 22, gap = 22, rowHeight = 20;
        var rows = new List<List<(string Name, string Color, LegendMark Mark, double Width)>> { new() };
        var rowWidth = 0.0;
        foreach (var (name, color, mark) in items)
        {
            var w = swatch + 6 + SvgWriter.TextWidth(name, size);
            if (rowWidth > 0 && rowWidth + gap + w > width - 40)
            {
                rows.Add([]);
                rowWidth = 0;
            }
            rowWidth += (rowWidth > 0 ? gap : 0) + w;
            rows[^1].Add((name, color, mark, w));
        }
        var y = top + 12;
        foreach (var row in rows)
        {
            var total = row.Sum(i => i.Width) + gap * (row.Count - 1);
            var x = (width - total) / 2;
            foreach (var (name, color, mark, w) in row)
            {
                switch (mark)
                {
                    case LegendMark.Line or LegendMark.DashedLine:
                        svg.Line(x, y, x + swatch, y, color, 2.5, mark == LegendMark.DashedLine ? "5 3" : null);
                        break;
                    case LegendMark.LineWithMarker:
                        svg.Line(x, y, x + swatch, y, color, 2.5);
                        svg.Circle(x + swatch / 2, y, 3.5, color);
                        break;
                    default:
                        svg.Rect(x + (swatch - 14) / 2, y - 7, 14, 14, color);
                        break;
                }
                svg.Text(x + swatch + 6, y, name, size, baseline: "central");
                x += w + gap;
            }
            y += rowHeight;
        }
        return y - 4;
    }

    protected enum LegendMark { Box, Line, DashedLine, LineWithMarker }
}

/// <summary>A linear scale with "nice" ticks (1, 2, 5 times a power of ten) covering the data.</summary>
public sealed class LinearScale
{
    public LinearScale(double min, double max, double pixelFrom, double pixelTo, int targetTicks = 6)
    {
        if (double.IsNaN(min) || double.IsNaN(max))
        {
            (min, max) = (0, 1);
        }
        if (max <= min)
        {
            max = min + (min == 0 ? 1 : Math.Abs(min) * 0.1);
        }
        var step = NiceStep((max - min) / targetTicks);
        Min = Math.Floor(min / step + 1e-9) * step;
        Max = Math.Ceiling(max / step - 1e-9) * step;
        Step = step;
        PixelFrom = pixelFrom;
        PixelTo = pixelTo;
    }

    public double Min { get; }
    public double Max { get; }
    public double Step { get; }
    public double PixelFrom { get; }
    public double PixelTo { get; }

    public double this[double value] => PixelFrom + (value - Min) / (Max - Min) * (PixelTo - PixelFrom);

    public IEnumerable<double> Ticks()
    {
        var count = (int)Math.Round((Max - Min) / Step);
        for (var i = 0; i <= count; i++)
        {
            var tick = Min + i * Step;
            yield return Math.Abs(tick) < Step * 1e-9 ? 0 : tick;
        }
    }

    /// <summary>A tick label with as many decimals as the step needs (and no more).</summary>
    public string Format(double value, double factor = 1, string suffix = "")
    {
        var decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(Step * factor) - 1e-9));
        return (value * factor).ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + suffix;
    }

    internal static double NiceStep(double rough)
    {
        if (rough <= 0 || double.IsNaN(rough) || double.IsInfinity(rough))
        {
            return 1;
        }
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var residual = rough / magnitude;
        var nice = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10;
        return nice * magnitude;
    }
}
