using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Commands;
using SpdyLab.Lab.Runner;
using SpdyLab.Lab.Validation;
using SpdyLab.Reports.Analysis;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Validation;

/// <summary><c>spdylab validate</c> for real (root, Chromium): one site, one run, one link, both clients, both protocols.</summary>
[NonParallelizable]
public class ValidationEndToEndTests
{
    private string directory = "";
    private string? savedHome;

    [SetUp]
    public void CreateHome()
    {
        RootCheck.RequireRoot();
        if (ChromiumLauncher.WhyUnavailable() is { } problem) Assert.Ignore($"needs Chromium to compare with: {problem}");
        directory = Directory.CreateTempSubdirectory("spdylab-validate-").FullName;
        savedHome = Environment.GetEnvironmentVariable("SPDYLAB_HOME");
        Environment.SetEnvironmentVariable("SPDYLAB_HOME", directory);
        Runner.TestSites.Write(Path.Combine(directory, "sites"), "alpha", images: 4);
    }

    [TearDown]
    public void RestoreHome()
    {
        if (directory.Length == 0) return;
        Environment.SetEnvironmentVariable("SPDYLAB_HOME", savedHome);
        Directory.Delete(directory, recursive: true);
    }

    [Test, CancelAfter(90_000)]
    public async Task RunAsync_OneSiteOneRunOneLink_FourLoadsStoredSummaryPrintedAndReportSectionWritten(CancellationToken cancellationToken)
    {
        var plan = ValidateCommand.BuildPlan(SitesCommand.Catalog(), "alpha", "cable@0%", runs: 1, rtt: null, seed: null, heldOutFrom: "cable@0%/h2");
        var output = new StringWriter();
        var outDirectory = Path.Combine(directory, "out");
        var options = new SessionOptions
        {
            OutputDirectory = outDirectory, Parallel = 1, Report = new Reports.ReportOptions { Png = false, BootstrapResamples = 200 },
        };

        var code = await ValidationService.RunAsync(plan, options, output, cancellationToken);

        using var store = ResultsStore.Open(Path.Combine(outDirectory, ExperimentSession.DatabaseName));
        var trials = store.ReadTrials();
        Assert.That(trials.Where(t => !t.IsOk).Select(t => t.Error), Is.Empty, output.ToString());
        Assert.That(code, Is.Zero, output.ToString());
        Assert.That(trials.Select(t => (t.Client, t.Protocol)), Is.EquivalentTo(new[]
        {
            (Clients.Builtin, Protocols.Http11), (Clients.Builtin, Protocols.H2), (Clients.Chromium, Protocols.Http11), (Clients.Chromium, Protocols.H2),
        }));
        var meta = ValidationMeta.From(store.Meta);
        Assert.That(meta.Calibration, Is.EqualTo(new ValidationCellRef("cable", 0, Protocols.H2)));
        Assert.That(meta.SnapshotResources["alpha"], Is.EqualTo(SitesCommand.LoadSite("--sites", "alpha").Exchanges.Count));

        var text = output.ToString();
        Assert.That(text, Does.Contain("target mean-PLT (held out): ").And.Contain(" of 1 site x link x protocol cells"));
        Assert.That(text, Does.Contain("target protocol-effect (all): gap per link Cable, 40 ms, 0% loss "));
        var report = File.ReadAllText(Path.Combine(outDirectory, ExperimentSession.ReportFolderName, "report.md"));
        Assert.That(report, Does.Contain("## Model validation").And.Contain("| alpha | Cable, 40 ms, 0% loss | HTTP/2 basic multi-domain (TLS) | calibration |"));
    }
}
