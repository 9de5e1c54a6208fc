using System.Net;
using System.Text;
using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Charts;
using SpdyLab.Reports.Tables;

namespace SpdyLab.Reports.Rendering;

/// <summary>What <see cref="ReportWriter.WriteAsync"/> produced, for the command's summary and the tests.</summary>
public sealed record ReportFiles(string Markdown, string Html, IReadOnlyList<string> Csv, IReadOnlyList<string> Svg, IReadOnlyList<string> Png, string? PngSkipped);

/// <summary>
/// Writes a report to a folder: report.md (tables and chart links), report.html (self-contained: inline SVG
/// and CSS), tables/ID.csv for every table, charts/ID.svg and charts/ID.png for every chart. Both pictures of a
/// chart come from the same ScottPlot plot; no browser is involved.
/// </summary>
/// <param name="pngScale">PNG pixels per CSS pixel; null writes SVG only.</param>
public sealed class ReportWriter(double? pngScale = 2)
{
    public async Task<ReportFiles> WriteAsync(Report report, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var tablesDir = Path.Combine(directory, "tables");
        var chartsDir = Path.Combine(directory, "charts");
        Directory.CreateDirectory(tablesDir);
        Directory.CreateDirectory(chartsDir);

        var csv = new List<string>();
        foreach (var table in report.AllTables)
        {
            var path = Path.Combine(tablesDir, table.Id + ".csv");
            await File.WriteAllTextAsync(path, CsvTable.Write(table), cancellationToken);
            csv.Add(path);
        }

        var svgs = new List<string>();
        var pngs = new List<string>();
        var svgText = new Dictionary<string, string>();
        string? skipped = pngScale is null ? "PNG rendering was turned off (--no-png)." : null;
        try
        {
            foreach (var chart in report.AllCharts)
            {
                var path = Path.Combine(chartsDir, chart.Id + ".svg");
                var text = chart.ToSvg();
                svgText[chart.Id] = text;
                await File.WriteAllTextAsync(path, text, cancellationToken);
                svgs.Add(path);
                if (pngScale is { } scale)
                {
                    var png = Path.Combine(chartsDir, chart.Id + ".png");
                    await File.WriteAllBytesAsync(png, chart.ToPng(scale), cancellationToken);
                    pngs.Add(png);
                }
            }
        }
        catch (ChartFontMissingException e)
        {
            // Charts drawn in a substitute font would be mis-measured; say what to install instead.
            skipped = e.Message + ".";
            svgText.Clear();
            pngs.Clear();
        }

        var markdown = Path.Combine(directory, "report.md");
        await File.WriteAllTextAsync(markdown, Markdown(report, pngs.Count > 0, skipped), cancellationToken);
        var html = Path.Combine(directory, "report.html");
        await File.WriteAllTextAsync(html, Html(report, svgText), cancellationToken);
        return new ReportFiles(markdown, html, csv, svgs, pngs, skipped);
    }

    // ---- Markdown -----------------------------------------------------------------------------------

    internal static string Markdown(Report report, bool withPng, string? pngSkipped)
    {
        var md = new StringBuilder();
        md.Append("# ").AppendLine(report.Title).AppendLine();
        AppendSummary(report, line => md.AppendLine("- " + line));
        md.AppendLine().AppendLine(report.Method).AppendLine();
        if (pngSkipped is not null)
        {
            md.AppendLine($"> PNG charts were not rendered: {pngSkipped} The SVG files are complete.").AppendLine();
        }
        foreach (var section in report.Sections)
        {
            md.Append("## ").AppendLine(section.Title).AppendLine();
            if (section.Intro is not null)
            {
                md.AppendLine(section.Intro).AppendLine();
            }
            foreach (var table in section.Tables)
            {
                md.Append("**").Append(Escape(table.Title)).Append("** ([CSV](tables/").Append(table.Id).AppendLine(".csv))").AppendLine();
                md.Append("| ").AppendJoin(" | ", table.Headers.Select(Escape)).AppendLine(" |");
                md.Append('|').AppendJoin("", table.Headers.Select(_ => "---|")).AppendLine();
                foreach (var row in table.Rows)
                {
                    md.Append("| ").AppendJoin(" | ", row.Select(c => Escape(c.Display))).AppendLine(" |");
                }
                md.AppendLine();
                foreach (var note in table.Notes)
                {
                    md.AppendLine($"*{Escape(note)}*").AppendLine();
                }
            }
            foreach (var chart in section.Charts)
            {
                var image = withPng ? $"charts/{chart.Id}.png" : $"charts/{chart.Id}.svg";
                md.AppendLine($"![{Escape(chart.Title)}]({image})").AppendLine();
                md.AppendLine($"[SVG](charts/{chart.Id}.svg)" + (withPng ? $" · [PNG](charts/{chart.Id}.png)" : "")).AppendLine();
            }
            foreach (var note in section.Notes)
            {
                md.AppendLine($"> {Escape(note)}").AppendLine();
            }
        }
        return md.ToString();
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static void AppendSummary(Report report, Action<string> line)
    {
        foreach (var key in new[] { "experiment", "started_at", "lab_version", "machine", "schema_version" })
        {
            if (report.Meta.TryGetValue(key, out var value))
            {
                line($"{key}: {value}");
            }
        }
        line($"trials: {report.Trials} ({report.Trials - report.FailedTrials} ok, {report.FailedTrials} failed)");
    }

    // ---- HTML ---------------------------------------------------------------------------------------

    private const string Style = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
        h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
        table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .82em; }
        caption { text-align: left; font-weight: bold; padding: .3em 0; }
        th, td { border: 1px solid #d0d0d0; padding: .3em .55em; vertical-align: top; }
        th { background: #f2f4f7; text-align: left; }
        td.num { text-align: right; white-space: nowrap; } td .ci { color: #666; font-size: .9em; } td .n { color: #888; font-size: .85em; }
        tr:nth-child(even) td { background: #fafafa; }
        figure { margin: 1em 0 2em; } figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: .85em; color: #555; }
        .note { color: #7a5b00; background: #fff8e1; padding: .4em .8em; border-left: 3px solid #e0b000; }
        .meta { font-size: .9em; color: #444; } .scroll { overflow-x: auto; }
        """;

    internal static string Html(Report report, IReadOnlyDictionary<string, string> svgText)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>").AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<title>").Append(E(report.Title)).AppendLine("</title>");
        html.Append("<style>").Append(Style).AppendLine("</style></head><body>");
        html.Append("<h1>").Append(E(report.Title)).AppendLine("</h1>");
        html.AppendLine("<ul class=\"meta\">");
        AppendSummary(report, line => html.Append("<li>").Append(E(line)).AppendLine("</li>"));
        html.AppendLine("</ul>");
        html.Append("<p class=\"meta\">").Append(E(report.Method)).AppendLine("</p>");
        html.AppendLine("<nav><ul>");
        foreach (var section in report.Sections)
        {
            html.Append($"<li><a href=\"#{section.Id}\">").Append(E(section.Title)).AppendLine("</a></li>");
        }
        html.AppendLine("</ul></nav>");
        foreach (var section in report.Sections)
        {
            html.Append($"<section id=\"{section.Id}\"><h2>").Append(E(section.Title)).AppendLine("</h2>");
            if (section.Intro is not null)
            {
                html.Append("<p>").Append(E(section.Intro)).AppendLine("</p>");
            }
            foreach (var table in section.Tables)
            {
                html.Append($"<div class=\"scroll\"><table id=\"table-{table.Id}\" class=\"report-table\"><caption>").Append(E(table.Title))
                    .Append($" <a href=\"tables/{table.Id}.csv\">CSV</a></caption>\n<thead><tr>");
                foreach (var header in table.Headers)
                {
                    html.Append("<th>").Append(E(header)).Append("</th>");
                }
                html.AppendLine("</tr></thead><tbody>");
                foreach (var row in table.Rows)
                {
                    html.Append("<tr>");
                    foreach (var cell in row)
                    {
                        html.Append(cell switch
                        {
                            EstimateCell e => $"<td class=\"num\">{E(e.ValueText)} <span class=\"ci\">{E(e.IntervalText)}</span> <span class=\"n\">n={e.Estimate.N}</span></td>",
                            NumberCell n => $"<td class=\"num\">{E(n.Display)}</td>",
                            _ => $"<td>{E(cell.Display)}</td>",
                        });
                    }
                    html.AppendLine("</tr>");
                }
                html.AppendLine("</tbody></table></div>");
            }
            foreach (var chart in section.Charts)
            {
                if (!svgText.TryGetValue(chart.Id, out var svg))
                {
                    continue;
                }
                html.Append($"<figure id=\"chart-{chart.Id}\" class=\"report-chart\">").Append(svg);
                html.Append("<figcaption>").Append(E(chart.Title)).Append($" — <a href=\"charts/{chart.Id}.svg\">SVG</a>, <a href=\"charts/{chart.Id}.png\">PNG</a>")
                    .AppendLine("</figcaption></figure>");
            }
            foreach (var note in section.Notes)
            {
                html.Append("<p class=\"note\">").Append(E(note)).AppendLine("</p>");
            }
            html.AppendLine("</section>");
        }
        html.AppendLine("</body></html>");
        return html.ToString();
    }
}

/// <summary>CSV of a table (RFC 4180): an estimate cell becomes four columns: value, ci_low, ci_high, n.</summary>
public static class CsvTable
{
    public static string Write(ReportTable table)
    {
        var csv = new StringBuilder();
        var estimateColumns = Enumerable.Range(0, table.Headers.Count)
            .Select(i => table.Rows.Any(r => r[i] is EstimateCell))
            .ToList();
        var headers = new List<string>();
        for (var i = 0; i < table.Headers.Count; i++)
        {
            headers.Add(table.Headers[i]);
            if (estimateColumns[i])
            {
                headers.AddRange([table.Headers[i] + " ci_low", table.Headers[i] + " ci_high", table.Headers[i] + " n"]);
            }
        }
        csv.AppendJoin(',', headers.Select(Quote)).Append("\r\n");
        foreach (var row in table.Rows)
        {
            var fields = new List<string>();
            for (var i = 0; i < row.Count; i++)
            {
                switch (row[i])
                {
                    case EstimateCell e:
                        fields.AddRange([Cell.Raw(e.Estimate.Value, e.Unit), Cell.Raw(e.Estimate.Low, e.Unit), Cell.Raw(e.Estimate.High, e.Unit),
                            e.Estimate.N.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                        break;
                    case NumberCell n:
                        fields.Add(Cell.Raw(n.Value, n.Unit));
                        AddEmpty(fields, estimateColumns[i]);
                        break;
                    default:
                        fields.Add(row[i].Display == "—" ? "" : row[i].Display);
                        AddEmpty(fields, estimateColumns[i]);
                        break;
                }
            }
            csv.AppendJoin(',', fields.Select(Quote)).Append("\r\n");
        }
        return csv.ToString();
    }

    private static void AddEmpty(List<string> fields, bool estimateColumn)
    {
        if (estimateColumn)
        {
            fields.AddRange(["", "", ""]);
        }
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}
