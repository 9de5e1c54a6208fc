using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Rendering;
using SpdyLab.Reports.Statistics;
using SpdyLab.Results;

namespace SpdyLab.Reports;

/// <summary>How to make a report: bootstrap settings and PNG rendering.</summary>
public sealed record ReportOptions
{
    public int BootstrapSeed { get; init; } = 20091112;
    public int BootstrapResamples { get; init; } = 2000;
    /// <summary>Pixels per CSS pixel in the PNGs (2 gives print-quality 1920-pixel-wide charts).</summary>
    public double PngScale { get; init; } = 2;
    /// <summary>Write a PNG beside every SVG chart (false: SVG only).</summary>
    public bool Png { get; init; } = true;
}

/// <summary>The whole job of <c>spdylab report</c>: read a results database, compute, write the report folder.</summary>
public static class ReportGenerator
{
    public static async Task<(Report Report, ReportFiles Files)> GenerateAsync(string databasePath, string outputDirectory, ReportOptions options,
        CancellationToken cancellationToken)
    {
        Report report;
        using (var store = ResultsStore.Open(databasePath))
        {
            report = Build(store.ReadTrials(), store.Meta, store.ResolveArtifact, options);
        }
        var files = await new ReportWriter(options.Png ? options.PngScale : null).WriteAsync(report, outputDirectory, cancellationToken);
        return (report, files);
    }

    public static Report Build(IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<string, string> meta, Func<string, string> resolveArtifact,
        ReportOptions options) =>
        new ReportBuilder(new Bootstrap(options.BootstrapSeed, options.BootstrapResamples)).Build(trials, meta, resolveArtifact);
}
