using System.Globalization;
using System.Security;
using System.Text;

namespace SpdyLab.Reports.Charts;

/// <summary>
/// A small SVG 1.1 writer: rectangles, lines, paths, circles and text, in user units (CSS pixels).
/// Our own because the usual .NET plotting libraries (ScottPlot, SkiaSharp) are not in this registry,
/// and a JavaScript plotting library would add a node dependency to every report; the charts we need
/// are few and simple, and SVG is text we can test.
/// </summary>
public sealed class SvgWriter
{
    public const string FontFamily = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

    /// <summary>Average advance of a character in the font, as a fraction of the font size (DejaVu Sans is wide).</summary>
    private const double CharWidth = 0.6;

    private readonly StringBuilder body = new();

    public SvgWriter(double width, double height)
    {
        Width = width;
        Height = height;
    }

    public double Width { get; }
    public double Height { get; }

    /// <summary>Estimated width of a text in pixels, for layout (legends, margins, label collisions).</summary>
    public static double TextWidth(string text, double size) => text.Length * size * CharWidth;

    /// <summary>Shortens a text to fit a width, with an ellipsis.</summary>
    public static string Fit(string text, double size, double width)
    {
        var max = (int)(width / (size * CharWidth));
        return text.Length <= max || max < 2 ? text : text[..(max - 1)] + "…";
    }

    public void Rect(double x, double y, double width, double height, string fill, string? stroke = null, double opacity = 1, string? title = null)
    {
        body.Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0, width))}\" height=\"{N(Math.Max(0, height))}\" fill=\"{fill}\"");
        if (stroke is not null)
        {
            body.Append($" stroke=\"{stroke}\"");
        }
        if (opacity < 1)
        {
            body.Append($" fill-opacity=\"{N(opacity)}\"");
        }
        CloseWithTitle("rect", title);
    }

    public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, string? dash = null)
    {
        body.Append($"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"");
        if (dash is not null)
        {
            body.Append($" stroke-dasharray=\"{dash}\"");
        }
        body.Append("/>\n");
    }

    public void Polyline(IEnumerable<(double X, double Y)> points, string stroke, double width = 2, string? dash = null)
    {
        body.Append($"<polyline fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\" stroke-linejoin=\"round\" points=\"");
        body.AppendJoin(' ', points.Select(p => $"{N(p.X)},{N(p.Y)}"));
        body.Append('"');
        if (dash is not null)
        {
            body.Append($" stroke-dasharray=\"{dash}\"");
        }
        body.Append("/>\n");
    }

    public void Polygon(IEnumerable<(double X, double Y)> points, string fill, double opacity)
    {
        body.Append($"<polygon fill=\"{fill}\" fill-opacity=\"{N(opacity)}\" stroke=\"none\" points=\"");
        body.AppendJoin(' ', points.Select(p => $"{N(p.X)},{N(p.Y)}"));
        body.Append("\"/>\n");
    }

    public void Circle(double cx, double cy, double r, string fill, string? title = null)
    {
        body.Append($"<circle cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\" fill=\"{fill}\" stroke=\"white\" stroke-width=\"1\"");
        CloseWithTitle("circle", title);
    }

    public void Text(double x, double y, string text, double size = 12, string anchor = "start", string fill = "#222",
        bool bold = false, double rotate = 0, string baseline = "auto", bool halo = false)
    {
        body.Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" font-size=\"{N(size)}\" text-anchor=\"{anchor}\" fill=\"{fill}\"");
        if (bold)
        {
            body.Append(" font-weight=\"bold\"");
        }
        if (halo)
        {
            // A white outline under the glyphs keeps a label readable where it crosses a line or a whisker.
            body.Append(" stroke=\"white\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"");
        }
        if (baseline != "auto")
        {
            body.Append($" dominant-baseline=\"{baseline}\"");
        }
        if (rotate != 0)
        {
            body.Append($" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"");
        }
        body.Append('>').Append(SecurityElement.Escape(text)).Append("</text>\n");
    }

    /// <summary>The document, with a white background, a title element (accessibility) and the font.</summary>
    public string ToSvg(string title) =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(Width)}\" height=\"{N(Height)}\" viewBox=\"0 0 {N(Width)} {N(Height)}\" " +
        $"font-family=\"{FontFamily}\" role=\"img\">\n<title>{SecurityElement.Escape(title)}</title>\n" +
        $"<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n";

    private void CloseWithTitle(string element, string? title)
    {
        if (title is null)
        {
            body.Append("/>\n");
        }
        else
        {
            body.Append("><title>").Append(SecurityElement.Escape(title)).Append("</title></").Append(element).Append(">\n");
        }
    }

    internal static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
