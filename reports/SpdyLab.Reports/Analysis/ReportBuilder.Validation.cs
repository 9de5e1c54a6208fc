using SpdyLab.Reports.Tables;
using SpdyLab.Results;

namespace SpdyLab.Reports.Analysis;

public sealed partial class ReportBuilder
{
    /// <summary>The value at the middle of the sorted list (mean of the two middle ones for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>The built-in client against Chromium, computed from a database's trials and meta (null when no cell has both clients).</summary>
    public ModelValidation? Validation(IEnumerable<TrialRecord> trials, IReadOnlyDictionary<string, string> meta) =>
        ModelValidation.Compute(trials, ValidationMeta.From(meta), bootstrap);

    /// <summary>"calibration", "held out", or "—" when the database names no calibration cell.</summary>
    public static string Role(bool? isCalibration) => isCalibration switch { true => "calibration", false => "held out", null => "—" };

    /// <summary>
    /// "Model validation": whenever a database holds both clients on the same site, link and protocol (from
    /// `spdylab validate`, or any sweep with client: chromium rows). Replaces the earlier "Built-in client against
    /// Chromium" section; its tables (median and worst difference, per site with DCL, TTFB and requests) are kept.
    /// </summary>
    private ReportSection? ValidationSection(List<TrialRecord> ok, IReadOnlyDictionary<string, string> meta)
    {
        if (Validation(ok, meta) is not { } validation) return null;
        var calibration = validation.Meta.Calibration;
        var section = new ReportSection("validation", "Model validation")
        {
            Intro = "The same snapshot, link and protocol loaded by the built-in client (the model all SPDY figures come from) and by " +
                    "Chromium (Playwright). Built-in PLT = navigation start to the end of the last resource; Chromium PLT = loadEventEnd. " +
                    "Difference = mean(built-in PLT) / mean(Chromium PLT) − 1 per site, link and protocol (positive: the model is slower), " +
                    "paired by run (same loss seed) when both clients have every run, else from the two samples resampled apart. " +
                    "Protocol effect = Σ PLT(HTTP/2) / Σ PLT(HTTP/1.1) − 1 of one client over loads paired by site, run and seed " +
                    "(negative: HTTP/2 is faster); gap = built-in − Chromium in percentage points. " +
                    (calibration is null
                        ? "No calibration cell is recorded in this database, so every cell counts as validation."
                        : $"Calibration cell: {calibration.Describe()}; every other cell is held out from it and the targets are given for the held-out cells and for all."),
        };

        var targets = new ReportTable("validation-targets", "Targets (issue #19)", ["Target", "Cells", "Figure", "Result"]);
        foreach (var scope in new[] { validation.HeldOut, validation.All }.OfType<ValidationTargets>())
        {
            targets.Add(Cell.Text($"Mean PLT within {ModelValidation.PltTolerance * 100:0}% of Chromium's in ≥ {ModelValidation.CellShareTarget * 100:0}% of site × link × protocol cells"),
                Cell.Text(scope.Scope),
                Cell.Text(scope.Cells == 0 ? "no cells" : $"{scope.CellsWithin} of {scope.Cells} ({scope.Share * 100:0.0}%)"),
                Cell.Text(scope.Cells == 0 ? "—" : scope.PltTargetMet ? "PASS" : "FAIL"));
            targets.Add(Cell.Text($"Protocol effect within {ModelValidation.EffectTolerance * 100:0} pp of Chromium's on every link"),
                Cell.Text(scope.Scope),
                Cell.Text(scope.LinkEffects.Count == 0 ? "no links"
                    : string.Join("; ", scope.LinkEffects.Select(e => $"{e.Link.Describe()}: {(e.GapValue is { } g ? Cell.Format(g, Unit.PercentagePoints) : "—")}"))),
                Cell.Text(scope.LinkEffects.Count == 0 ? "—" : scope.EffectTargetMet ? "PASS" : "FAIL"));
        }
        section.Tables.Add(targets);

        var summary = new ReportTable("validation-summary", "Built-in client vs Chromium: median and worst difference, per link and protocol",
            ["Link", "Configuration", "Cell", "Sites", "Median difference", "Median |difference|", "Worst difference", "Worst site", "Within 10%"]);
        foreach (var group in validation.Cells.GroupBy(c => (c.Link, c.Configuration)))
        {
            var differences = group.Select(c => c.Difference.Value).ToList();
            var worst = group.MaxBy(c => Math.Abs(c.Difference.Value))!;
            summary.Add(Cell.Text(group.Key.Link.Describe()), Cell.Text(group.Key.Configuration.FullLabel), Cell.Text(Role(group.First().IsCalibration)),
                Cell.Number(group.Count(), Unit.Count), Cell.Number(Median(differences), Unit.Percent),
                Cell.Number(Median(differences.Select(Math.Abs).ToList()), Unit.Percent),
                Cell.Number(worst.Difference.Value, Unit.Percent), Cell.Text(worst.Site),
                Cell.Text($"{group.Count(c => c.IsWithin(ModelValidation.PltTolerance))} of {group.Count()}"));
        }
        section.Tables.Add(summary);

        var effects = new ReportTable("validation-protocol-effect", "Protocol effect per link: HTTP/2 against HTTP/1.1, each client, over every site",
            ["Link", "Protocol", "Cell", "Built-in PLT change", "Chromium PLT change", "Gap (built-in − Chromium)", $"Within {ModelValidation.EffectTolerance * 100:0} pp"]);
        foreach (var e in validation.LinkEffects)
        {
            effects.Add(Cell.Text(e.Link.Describe()), Cell.Text($"{Configuration.ProtocolName(e.Protocol)} vs HTTP ({Configuration.TransportName(e.Transport)})"),
                Cell.Text(e.HoldsCalibration is true ? "holds the calibration cell" : Role(e.HoldsCalibration)),
                Cell.Of(e.Model, Unit.Percent), Cell.Of(e.Chromium, Unit.Percent), Gap(e), Cell.Text(e.GapValue is null ? "—" : e.IsWithin(ModelValidation.EffectTolerance) ? "yes" : "no"));
        }
        effects.Notes.Add("n counts pairs of loads (HTTP/1.1 and HTTP/2 of one client, same site, run and seed); the gap's n counts (site, run) units with all four loads.");
        section.Tables.Add(effects);

        var cells = new ReportTable("validation-cells", "Built-in client vs Chromium, per site, link and protocol",
            ["Site", "Link", "Configuration", "Cell", "Built-in PLT (ms)", "Chromium PLT (ms)", "Difference", "Paired",
             "Built-in requests", "Chromium requests", "Snapshot resources", "Chromium DCL (ms)", "Built-in TTFB (ms)", "Chromium TTFB (ms)", "Runs"]);
        foreach (var c in validation.Cells)
        {
            cells.Add(Cell.Text(c.Site), Cell.Text(c.Link.Describe()), Cell.Text(c.Configuration.FullLabel), Cell.Text(Role(c.IsCalibration)),
                Cell.Number(c.Model.PltMs, Unit.Milliseconds), Cell.Number(c.Chromium.PltMs, Unit.Milliseconds), Cell.Of(c.Difference, Unit.Percent),
                Cell.Text(c.Paired ? "yes" : "no"), Requests(c.Model), Requests(c.Chromium), Cell.Number(c.SnapshotResources, Unit.Count),
                Cell.Number(c.Chromium.DclMs, Unit.Milliseconds), Cell.Number(c.Model.TtfbMs, Unit.Milliseconds), Cell.Number(c.Chromium.TtfbMs, Unit.Milliseconds),
                Cell.Text($"{c.Model.Runs} / {c.Chromium.Runs}"));
        }
        cells.Notes.Add("Requests per load: the mean, and the fewest–most over the runs when they differ. Built-in: every request the loader made; " +
                        "Chromium: the snapshot's URLs it asked for (Playwright's request events; databases from before December 2026: its Resource " +
                        "Timing entries plus the document). Snapshot resources: the exchanges the snapshot records " +
                        "(document included; written by `spdylab validate`, — for other databases).");
        cells.Notes.Add("Difference n: pairs of loads when paired, else the loads of both clients.");
        section.Tables.Add(cells);

        var perSite = new ReportTable("validation-site-effects", "Protocol effect per site and link: HTTP/2 against HTTP/1.1",
            ["Site", "Link", "Cell", "Built-in PLT change", "Chromium PLT change", "Gap (built-in − Chromium)"]);
        foreach (var e in validation.SiteEffects)
        {
            perSite.Add(Cell.Text(e.Site!), Cell.Text(e.Link.Describe()), Cell.Text(e.HoldsCalibration is true ? "holds the calibration cell" : Role(e.HoldsCalibration)),
                Cell.Of(e.Model, Unit.Percent), Cell.Of(e.Chromium, Unit.Percent), Gap(e));
        }
        section.Tables.Add(perSite);
        return section;
    }

    private static Cell Gap(ProtocolEffect e) =>
        e.Gap is not null ? Cell.Of(e.Gap, Unit.PercentagePoints) : Cell.Number(e.GapValue, Unit.PercentagePoints);

    private static Cell Requests(LoadSummary loads) => loads.Requests is not { } mean
        ? Cell.Text("—")
        : Cell.Text(loads.FewestRequests == loads.MostRequests
            ? Cell.Format(mean, Unit.Count)
            : $"{Cell.Format(mean, Unit.Count)} ({loads.FewestRequests}–{loads.MostRequests})");
}
