using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Commands;
using SpdyLab.Lab.Runner;
using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Statistics;
using SpdyLab.Results;

namespace SpdyLab.Lab.Validation;

/// <summary>
/// Runs a <see cref="ValidationPlan"/> through the ordinary runner (results.db, progress, --resume, the report with its
/// "Model validation" section) and prints the validation summary and targets at the end.
/// </summary>
public static class ValidationService
{
    public static async Task<int> RunAsync(ValidationPlan plan, SessionOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        // Without Chromium there is nothing to validate against: stop before the first trial, not after the model's.
        if (!options.DryRun && ChromiumLauncher.WhyUnavailable() is { } problem)
        {
            throw new UsageException($"needs Chromium to compare with, and {problem}");
        }
        var experiment = plan.ToExperiment(options.CommandLine);
        var meta = plan.Meta(site => SitesCommand.LoadSite("--sites", site).Exchanges.Count);
        // The folder is chosen here, not by the session, so the summary can read the database the session wrote.
        var directory = ExperimentSession.ResolveOutputDirectory(experiment.Name, options);
        options = options with
        {
            OutputDirectory = directory,
            Meta = new Dictionary<string, string>(options.Meta) { [ValidationMeta.Key] = meta.ToJson() },
        };
        if (plan.Calibration is { } calibration)
        {
            output.WriteLine($"calibration cell: {calibration.Link.Name}/{calibration.Protocol}; every other cell is held out");
        }
        var code = await ExperimentOptions.RunSessionAsync("validate", experiment, options, cancellationToken);
        var database = Path.Combine(directory, ExperimentSession.DatabaseName);
        if (options.DryRun || !File.Exists(database)) return code;

        ModelValidation? validation;
        using (var store = ResultsStore.Open(database))
        {
            var report = options.Report ?? new Reports.ReportOptions();
            validation = ModelValidation.Compute(store.ReadTrials(), ValidationMeta.From(store.Meta),
                new Bootstrap(report.BootstrapSeed, report.BootstrapResamples));
        }
        output.WriteLine();
        output.WriteLine(validation is null
            ? "Model validation: no site, link and protocol was loaded by both clients (see the failed trials above)."
            : ValidationSummary.Render(validation));
        return code;
    }
}
