using System.CommandLine;
using SpdyLab.Reports;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab report --results FILE.db --out DIR</c>: the paper's tables and charts from a results
/// database (docs/reports.md): report.md, report.html, tables/*.csv, charts/*.svg and *.png.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var results = new Option<string>("--results", "-r") { Description = "The experiment's results database (FILE.db)", Required = true };
        var output = new Option<string?>("--out", "-o") { Description = "Folder for the report (default: FILE-report beside the database)" };
        var noPng = new Option<bool>("--no-png") { Description = "Write SVG charts only" };
        var scale = new Option<double>("--png-scale")
        {
            Description = "Pixels per CSS pixel in the PNG charts (1 to 4; 2 gives 1920-pixel-wide charts)",
            DefaultValueFactory = _ => 2,
        };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed (the report is deterministic for a given seed)", DefaultValueFactory = _ => 20091112 };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples per figure (200 to 100000)", DefaultValueFactory = _ => 2000 };

        var command = new Command("report", "Render the paper's tables and charts from a results database: report.md, report.html, CSV, SVG and PNG.");
        foreach (var option in new Option[] { results, output, noPng, scale, seed, resamples })
        {
            command.Options.Add(option);
        }
        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var database = parseResult.GetValue(results)!;
            var pngScale = parseResult.GetValue(scale);
            if (pngScale is < 1 or > 4 || double.IsNaN(pngScale))
            {
                throw new UsageException($"--png-scale: {pngScale} is out of range; accepted: 1 to 4 (e.g. 1, 1.5, 2)");
            }
            var count = parseResult.GetValue(resamples);
            if (count is < 200 or > 100_000)
            {
                throw new UsageException($"--resamples: {count} is out of range; accepted: 200 to 100000");
            }
            // Open once here so a missing or foreign file is reported as bad input (exit code 2).
            ResultsCommand.OpenStore(database).Dispose();
            var directory = parseResult.GetValue(output)
                ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(database)) ?? ".", Path.GetFileNameWithoutExtension(database) + "-report");
            var options = new ReportOptions
            {
                BootstrapSeed = parseResult.GetValue(seed),
                BootstrapResamples = count,
                PngScale = pngScale,
                Png = !parseResult.GetValue(noPng),
            };
            var (report, files) = await ReportGenerator.GenerateAsync(database, directory, options, cancellationToken);
            Console.WriteLine($"report: {files.Html}");
            Console.WriteLine($"        {files.Markdown}");
            Console.WriteLine($"        {files.Csv.Count} tables (CSV), {files.Svg.Count} charts (SVG), {files.Png.Count} PNG");
            foreach (var note in report.Sections.SelectMany(s => s.Notes).Where(n => n.Contains("omitted", StringComparison.Ordinal)))
            {
                Console.WriteLine($"note: {note}");
            }
            if (files.PngSkipped is not null)
            {
                await Console.Error.WriteLineAsync($"spdylab report: PNG charts not rendered: {files.PngSkipped}");
            }
            return 0;
        });
        return command;
    }
}
