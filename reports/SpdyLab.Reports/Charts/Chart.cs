using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace SpdyLab.Reports.Charts;

/// <summary>
/// A chart of the report: an id (file name), a title, a size in CSS pixels, and a ScottPlot plot from which
/// both its SVG and its PNG are drawn, so the two pictures always show the same thing.
/// </summary>
public abstract class Chart(string id, string title)
{
    public string Id { get; } = id;
    public string Title { get; } = title;
    /// <summary>One line under the title: what the marks and whiskers mean.</summary>
    public string? Subtitle { get; init; }
    public int Width { get; init; } = 960;
    /// <summary>The height; charts whose height follows their content (bars, waterfall) compute it.</summary>
    public abstract int Height { get; }

    /// <summary>Builds the plot in CSS pixels (scale factor 1); each call makes a new one.</summary>
    public Plot BuildPlot()
    {
        var plot = NewPlot();
        Draw(plot);
        if (Subtitle is not null)
        {
            // ScottPlot has one title panel. A second one on the top edge is the subtitle: added last, it sits
            // furthest from the data, right under the title, with the legend (if any) between it and the data.
            var subtitle = new ScottPlot.Panels.TitlePanel { FullFigureCenter = true, VerticalPadding = 2 };
            StyleLabel(subtitle.Label, SubtitleSize, Muted);
            subtitle.Label.Text = Subtitle;
            plot.Axes.AddPanel(subtitle);
        }
        return plot;
    }

    /// <summary>Adds the chart's data, axes and legend to a plot that already has the title and the report's look.</summary>
    protected abstract void Draw(Plot plot);

    /// <summary>The chart as an SVG document of <see cref="Width"/> by <see cref="Height"/>.</summary>
    public string ToSvg()
    {
        ChartFont.EnsureInstalled();
        using var plot = BuildPlot();
        return plot.GetSvgXml(Width, Height);
    }

    /// <summary>The chart as a PNG of (Width × scale) by (Height × scale) pixels: the same layout, drawn finer.</summary>
    public byte[] ToPng(double scale)
    {
        if (scale is < 1 or > 4 || double.IsNaN(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "PNG scale must be between 1 and 4");
        }
        ChartFont.EnsureInstalled();
        using var plot = BuildPlot();
        plot.ScaleFactor = scale;
        return plot.GetImageBytes((int)Math.Round(Width * scale), (int)Math.Round(Height * scale), ScottPlot.ImageFormat.Png);
    }

    /// <summary>Okabe-Ito colours: distinguishable with the common colour-vision deficiencies, and in greyscale print.</summary>
    public static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999"];

    protected const float TitleSize = 18, SubtitleSize = 12.5f, LabelSize = 14, TickSize = 12.5f, LegendSize = 13;
    protected static readonly Color Ink = Color.FromHex("#222222");
    protected static readonly Color Muted = Color.FromHex("#555555");
    protected static readonly Color GridColor = Color.FromHex("#E3E3E3");

    /// <summary>A plot with the report's look: the lab's font on every label, a bold title, light grid, no frame clutter.</summary>
    private Plot NewPlot()
    {
        var plot = new Plot();
        plot.Axes.Title.FullFigureCenter = true;
        plot.Axes.Title.VerticalPadding = 4;
        // A title too long for the width is set smaller rather than cut at the edges (DejaVu Sans Bold: ~0.64 em a character).
        StyleLabel(plot.Axes.Title.Label, (float)Math.Clamp((Width - 24) / (Title.Length * 0.64), 12, TitleSize), Ink, bold: true);
        plot.Axes.Title.Label.Text = Title;
        plot.Grid.MajorLineColor = GridColor;
        plot.Grid.MinorLineWidth = 0;
        foreach (var axis in plot.Axes.GetAxes())
        {
            StyleLabel(axis.Label, LabelSize, Ink, bold: true);
            StyleLabel(axis.TickLabelStyle, TickSize, Color.FromHex("#333333"));
            axis.MinorTickStyle.Length = 0;
        }
        plot.Axes.Right.FrameLineStyle.Width = 0;
        plot.Axes.Top.FrameLineStyle.Width = 0;
        return plot;
    }

    /// <summary>Font (by name: a typeface set on the label would override its weight), size, colour and weight of a label.</summary>
    protected static void StyleLabel(LabelStyle label, float size, Color color, bool bold = false)
    {
        label.FontName = ChartFont.Family;
        label.FontSize = size;
        label.ForeColor = color;
        label.Bold = bold;
    }

    /// <summary>A legend above the data, in rows, with the given items (name, colour, how the mark looks).</summary>
    protected static void AddLegend(Plot plot, IEnumerable<(string Name, string Color, LegendMark Mark)> items)
    {
        plot.Legend.ManualItems.Clear();
        foreach (var (name, color, mark) in items)
        {
            var item = new LegendItem { LabelText = name };
            StyleLabel(item.LabelStyle, LegendSize, Ink);
            var c = Color.FromHex(color);
            switch (mark)
            {
                case LegendMark.Box:
                    item.FillColor = c;
                    item.LineWidth = 0;
                    break;
                case LegendMark.Line or LegendMark.DashedLine or LegendMark.LineWithMarker:
                    item.LineColor = c;
                    item.LineWidth = 2.5f;
                    item.LinePattern = mark == LegendMark.DashedLine ? LinePattern.Dashed : LinePattern.Solid;
                    if (mark == LegendMark.LineWithMarker)
                    {
                        item.MarkerShape = MarkerShape.FilledCircle;
                        item.MarkerSize = 7;
                        item.MarkerColor = c;
                    }
                    break;
            }
            plot.Legend.ManualItems.Add(item);
        }
        plot.Legend.FontName = ChartFont.Family;
        plot.Legend.FontSize = LegendSize;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.BackgroundColor = Colors.Transparent;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Legend.TightHorizontalWrapping = true;
        plot.Legend.InterItemPadding = new PixelPadding(left: 10, right: 10, bottom: 2, top: 2);
        plot.Legend.SymbolPadding = 6;
        plot.Legend.Padding = new PixelPadding(0);
        plot.Legend.Margin = new PixelPadding(0);
        var panel = plot.ShowLegend(Edge.Top);
        panel.Padding = new PixelPadding(left: 0, right: 0, bottom: 8, top: 2);
        panel.Alignment = Alignment.MiddleCenter;
    }

    /// <summary>Tick labels as the report writes numbers: thousands separators, as many decimals as the value needs.</summary>
    protected static string FormatTick(double value, double factor = 1, string suffix = "")
    {
        var scaled = Math.Round(value * factor, 6);
        if (Math.Abs(scaled) < 1e-9)
        {
            scaled = 0;
        }
        return scaled.ToString("#,0.###", CultureInfo.InvariantCulture) + suffix;
    }

    protected static ScottPlot.TickGenerators.NumericAutomatic Ticks(Func<double, string> format, int target = 6) =>
        new() { LabelFormatter = format, TargetTickCount = target };

    protected enum LegendMark { Box, Line, DashedLine, LineWithMarker }
}

/// <summary>
/// The one font every chart draws with: DejaVu Sans from Debian's fonts-dejavu-core (installed by
/// scripts/install-deps.sh), named explicitly so a chart looks the same on every machine rather than
/// whatever fontconfig picks.
/// </summary>
public static class ChartFont
{
    public const string Family = "DejaVu Sans";
    private static bool checkedInstalled;

    /// <summary>Throws with the fix when the font is not installed (SkiaSharp would silently substitute another).</summary>
    public static void EnsureInstalled()
    {
        if (checkedInstalled)
        {
            return;
        }
        using var typeface = SKFontManager.Default.MatchFamily(Family);
        if (typeface is null || !string.Equals(typeface.FamilyName, Family, StringComparison.OrdinalIgnoreCase))
        {
            throw new ChartFontMissingException(
                $"the chart font '{Family}' is not installed (found '{typeface?.FamilyName ?? "none"}'): install Debian's fonts-dejavu-core (scripts/install-deps.sh, or apt-get install fonts-dejavu-core)");
        }
        checkedInstalled = true;
    }
}

/// <summary>The chart font is missing: the report is written without charts, and says why.</summary>
public sealed class ChartFontMissingException(string message) : Exception(message);
