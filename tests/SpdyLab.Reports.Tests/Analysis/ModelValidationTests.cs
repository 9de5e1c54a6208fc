using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Statistics;
using SpdyLab.Reports.Tests.Fixtures;
using SpdyLab.Results;

namespace SpdyLab.Reports.Tests.Analysis;

/// <summary>The built-in client against Chromium: differences with intervals, protocol effects, targets, and the report's section.</summary>
public class ModelValidationTests
{
    private static readonly Bootstrap Bootstrap = new(resamples: 2000);

    private static TrialRecord Load(string site, int run, string client, string protocol, double plt, string link = "cable", double loss = 0.01,
        int? requests = null)
    {
        var t = Fixture.Trial(Designs.Custom, site, run, link, protocol, DomainModes.Multi, Features.None, plt, transport: Transports.Tls, loss: loss);
        t.Client = client;
        t.Requests = requests;
        t.TrialKey = t.DefaultKey();
        return t;
    }

    /// <summary>Both clients, both protocols, on one site and link: PLTs per run for each of the four.</summary>
    private static IEnumerable<TrialRecord> Site(string site, double[] modelH1, double[] modelH2, double[] chromiumH1, double[] chromiumH2,
        string link = "cable", double loss = 0.01)
    {
        for (int run = 0; run < modelH1.Length; run++)
        {
            yield return Load(site, run, Clients.Builtin, Protocols.Http11, modelH1[run], link, loss);
            yield return Load(site, run, Clients.Builtin, Protocols.H2, modelH2[run], link, loss);
            yield return Load(site, run, Clients.Chromium, Protocols.Http11, chromiumH1[run], link, loss);
            yield return Load(site, run, Clients.Chromium, Protocols.H2, chromiumH2[run], link, loss);
        }
    }

    private static ModelValidation Compute(IEnumerable<TrialRecord> trials, ValidationMeta? meta = null) =>
        ModelValidation.Compute(trials, meta ?? new ValidationMeta(), Bootstrap)!;

    [Test]
    public void Compute_SameRunsForBothClients_PairedDifferenceWithTheResampledRange()
    {
        var validation = Compute([
            Load("a.com", 0, Clients.Builtin, Protocols.H2, 1100), Load("a.com", 1, Clients.Builtin, Protocols.H2, 1300),
            Load("a.com", 0, Clients.Chromium, Protocols.H2, 1000), Load("a.com", 1, Clients.Chromium, Protocols.H2, 1000),
        ]);

        var cell = validation.Cells.Single();
        Assert.That(cell.Paired, Is.True);
        Assert.That(cell.Model.PltMs, Is.EqualTo(1200));
        // Pairs (1000, 1100) and (1000, 1300): a resample holds run 0 twice (+10%), run 1 twice (+30%) or one of each (+20%).
        Assert.That(cell.Difference.Value, Is.EqualTo(0.2).Within(1e-9));
        Assert.That(cell.Difference.Low, Is.EqualTo(0.1).Within(1e-9));
        Assert.That(cell.Difference.High, Is.EqualTo(0.3).Within(1e-9));
        Assert.That(cell.Difference.N, Is.EqualTo(2));
    }

    [Test]
    public void Compute_ARunMissingForOneClient_UnpairedDifferenceOverAllLoads()
    {
        var validation = Compute([
            Load("a.com", 0, Clients.Builtin, Protocols.H2, 900), Load("a.com", 1, Clients.Builtin, Protocols.H2, 1100),
            Load("a.com", 2, Clients.Builtin, Protocols.H2, 1000),
            Load("a.com", 0, Clients.Chromium, Protocols.H2, 1900), Load("a.com", 1, Clients.Chromium, Protocols.H2, 2100),
        ]);

        var cell = validation.Cells.Single();
        Assert.That(cell.Paired, Is.False);
        Assert.That(cell.Difference.Value, Is.EqualTo(1000.0 / 2000 - 1).Within(1e-9));
        Assert.That(cell.Difference.N, Is.EqualTo(5), "the loads of both clients");
        Assert.That(cell.Difference.Low, Is.LessThan(cell.Difference.Value));
        Assert.That(cell.Difference.High, Is.GreaterThan(cell.Difference.Value));
        Assert.That(cell.Difference.High, Is.LessThanOrEqualTo(1100.0 / 1900 - 1 + 1e-9), "no resample is worse than the extremes");
        Assert.That(cell.Difference.Low, Is.GreaterThanOrEqualTo(900.0 / 2100 - 1 - 1e-9));
    }

    [Test]
    public void Compute_OneClientOnly_IsNull()
    {
        Assert.That(ModelValidation.Compute([Load("a.com", 0, Clients.Builtin, Protocols.H2, 1100)], new ValidationMeta(), Bootstrap), Is.Null);
    }

    [Test]
    public void Compute_ProtocolEffects_EachClientsChangeAndTheGapInPercentagePoints()
    {
        // Built-in: h2 halves the PLT (-50%); Chromium: h2 takes 10% off; gap -40 pp on every run.
        var validation = Compute(Site("a.com", [2000, 2200], [1000, 1100], [2000, 2000], [1800, 1800]));

        var effect = validation.LinkEffects.Single();
        Assert.That(effect.Site, Is.Null);
        Assert.That(effect.Model!.Value, Is.EqualTo(-0.5).Within(1e-9));
        Assert.That(effect.Chromium!.Value, Is.EqualTo(-0.1).Within(1e-9));
        Assert.That(effect.Gap!.Value, Is.EqualTo(-0.4).Within(1e-9));
        Assert.That(effect.Gap.N, Is.EqualTo(2), "two (site, run) units with all four loads");
        Assert.That(effect.Gap.Low, Is.EqualTo(-0.4).Within(1e-9), "every run has the same gap");
        Assert.That(effect.IsWithin(ModelValidation.EffectTolerance), Is.False);
        Assert.That(validation.SiteEffects.Single().Site, Is.EqualTo("a.com"));
        Assert.That(validation.All.EffectTargetMet, Is.False);
    }

    [Test]
    public void Compute_GapWithinFivePoints_EffectTargetMet()
    {
        // Built-in -20%, Chromium -16%: 4 pp apart.
        var validation = Compute(Site("a.com", [1000, 1000], [800, 800], [1000, 1000], [840, 840]));

        Assert.That(validation.LinkEffects.Single().GapValue, Is.EqualTo(-0.04).Within(1e-9));
        Assert.That(validation.All.EffectTargetMet, Is.True);
    }

    [Test]
    public void Compute_NineOfTenCellsWithinTenPercent_PltTargetMetAtExactlyNinety()
    {
        // Five sites x two protocols = 10 cells; site e's HTTP/2 cell is 30% slow, every other cell 5%.
        var trials = new List<TrialRecord>();
        foreach (var site in new[] { "a", "b", "c", "d", "e" })
        {
            trials.AddRange(Site(site, [1050], [site == "e" ? 1300 : 1050], [1000], [1000]));
        }
        var validation = Compute(trials);

        Assert.That(validation.All.Cells, Is.EqualTo(10));
        Assert.That(validation.All.CellsWithin, Is.EqualTo(9));
        Assert.That(validation.All.PltTargetMet, Is.True);

        trials.RemoveAll(t => t.Site == "d" && t.Client == Clients.Builtin && t.Protocol == Protocols.H2);
        trials.Add(Load("d", 0, Clients.Builtin, Protocols.H2, 1200));
        var worse = Compute(trials);
        Assert.That(worse.All.CellsWithin, Is.EqualTo(8));
        Assert.That(worse.All.PltTargetMet, Is.False);
    }

    [Test]
    public void Compute_CalibrationCell_MarkedAndLeftOutOfTheHeldOutTargets()
    {
        var trials = Site("a.com", [1000], [1000], [1000], [1500], link: "cable", loss: 0.01)
            .Concat(Site("a.com", [1000], [900], [1000], [920], link: "cable", loss: 0))
            .Concat(Site("a.com", [2000], [1800], [2000], [1900], link: "dsl", loss: 0.01)).ToList();
        var meta = new ValidationMeta { Calibration = new ValidationCellRef("cable", 0.01, Protocols.H2) };

        var validation = Compute(trials, meta);

        var calibration = validation.Cells.Where(c => c.IsCalibration == true).ToList();
        Assert.That(calibration.Select(c => (c.Link.Name, c.Link.Loss, c.Protocol)), Is.EqualTo(new[] { ("cable", 0.01, Protocols.H2) }));
        Assert.That(validation.Cells.Count(c => c.IsCalibration == false), Is.EqualTo(5));
        // The calibration cell is 33% fast; the five held-out cells are within 10%.
        Assert.That(validation.All.CellsWithin, Is.EqualTo(5));
        Assert.That(validation.HeldOut!.Cells, Is.EqualTo(5));
        Assert.That(validation.HeldOut.CellsWithin, Is.EqualTo(5));
        Assert.That(validation.HeldOut.PltTargetMet, Is.True);
        // Cable at 1% holds the calibration cell: its effect gap (0 vs +50%) counts in "all", not in "held out".
        Assert.That(validation.LinkEffects.Single(e => e.Link.Name == "cable" && e.Link.Loss == 0.01).HoldsCalibration, Is.True);
        Assert.That(validation.HeldOut.LinkEffects.Select(e => e.Link.Describe()), Is.EqualTo(new[] { "DSL, 50 ms, 1% loss", "Cable, 50 ms, 0% loss" }));
        Assert.That(validation.HeldOut.EffectTargetMet, Is.True);
        Assert.That(validation.All.EffectTargetMet, Is.False);
    }

    [Test]
    public void Compute_NoCalibrationNamed_NoHeldOutTargetsAndNoRoles()
    {
        var validation = Compute(Site("a.com", [1000], [900], [1000], [920]));
        Assert.That(validation.HeldOut, Is.Null);
        Assert.That(validation.Cells.Select(c => c.IsCalibration), Is.All.Null);
    }

    [Test]
    public void ValidationMeta_RoundTripsThroughJson_AndAMalformedEntryReadsAsEmpty()
    {
        var meta = new ValidationMeta
        {
            Calibration = new ValidationCellRef("cable", 0.01, Protocols.Http11),
            SnapshotResources = new Dictionary<string, int> { ["google"] = 12 },
        };
        var read = ValidationMeta.From(new Dictionary<string, string> { [ValidationMeta.Key] = meta.ToJson() });
        Assert.That(read.Calibration, Is.EqualTo(meta.Calibration));
        Assert.That(read.SnapshotResources["google"], Is.EqualTo(12));

        var broken = ValidationMeta.From(new Dictionary<string, string> { [ValidationMeta.Key] = "{not json" });
        Assert.That(broken.Calibration, Is.Null);
        Assert.That(broken.SnapshotResources, Is.Empty);
    }

    [Test]
    public void Build_BothClients_ModelValidationSectionWithTargetsSummaryAndPerCellRows()
    {
        using var fixture = new Fixture();
        foreach (var t in Site("a.com", [1100, 1300], [1000, 1000], [1000, 1000], [1000, 1000])) fixture.Add(t);
        foreach (var t in Site("b.com", [500], [1000], [1000], [1000])) fixture.Add(t);
        fixture.Add(Load("c.com", 0, Clients.Builtin, Protocols.H2, 700));
        var meta = new Dictionary<string, string>(fixture.Store.Meta)
        {
            [ValidationMeta.Key] = new ValidationMeta { SnapshotResources = new Dictionary<string, int> { ["a.com"] = 40 } }.ToJson(),
        };
        var trials = fixture.Store.ReadTrials();
        trials.Single(t => t.Site == "a.com" && t.RunIndex == 0 && t.Client == Clients.Builtin && t.Protocol == Protocols.Http11).Requests = 38;
        trials.Single(t => t.Site == "a.com" && t.RunIndex == 1 && t.Client == Clients.Builtin && t.Protocol == Protocols.Http11).Requests = 40;

        var report = ReportGenerator.Build(trials, meta, fixture.Store.ResolveArtifact, new ReportOptions { Png = false });

        var section = report.Sections.Single(s => s.Id == "validation");
        Assert.That(section.Title, Is.EqualTo("Model validation"));
        var summary = section.Tables.Single(t => t.Id == "validation-summary");
        Assert.That(summary.Rows, Has.Count.EqualTo(2), "HTTP/1.1 and HTTP/2 on cable");
        // HTTP/1.1: a.com +20%, b.com -50%.
        Assert.That(summary[0, "Median difference"].Display, Is.EqualTo("-15.0%"));
        Assert.That(summary[0, "Worst difference"].Display, Is.EqualTo("-50.0%"));
        Assert.That(summary[0, "Worst site"].Display, Is.EqualTo("b.com"));
        Assert.That(summary[0, "Within 10%"].Display, Is.EqualTo("0 of 2"));
        Assert.That(summary[0, "Cell"].Display, Is.EqualTo("—"));

        var cells = section.Tables.Single(t => t.Id == "validation-cells");
        Assert.That(cells[0, "Site"].Display, Is.EqualTo("a.com"));
        Assert.That(cells[0, "Difference"].Display, Does.StartWith("20.0% [10.0, 30.0%] n=2"));
        Assert.That(cells[0, "Built-in requests"].Display, Is.EqualTo("39 (38–40)"));
        Assert.That(cells[0, "Snapshot resources"].Display, Is.EqualTo("40"));
        Assert.That(cells[1, "Snapshot resources"].Display, Is.EqualTo("—"));

        var targets = section.Tables.Single(t => t.Id == "validation-targets");
        Assert.That(targets.Rows, Has.Count.EqualTo(2), "no calibration cell: the targets over all cells only");
        Assert.That(targets[0, "Figure"].Display, Is.EqualTo("2 of 4 (50.0%)"));
        Assert.That(targets[0, "Result"].Display, Is.EqualTo("FAIL"));
        // Over both sites the built-in client's HTTP/2 loads sum to 3000 ms against 2900 ms of HTTP/1.1 (+3.4%), Chromium's 3000
        // against 3000 (0%): 3.4 points apart, within 5.
        Assert.That(targets[1, "Figure"].Display, Is.EqualTo("Cable, 50 ms, 1% loss: +3.4 pp"));
        Assert.That(targets[1, "Result"].Display, Is.EqualTo("PASS"));
        var effects = section.Tables.Single(t => t.Id == "validation-protocol-effect");
        Assert.That(effects[0, "Gap (built-in − Chromium)"].Display, Does.StartWith("+3.4 pp [").And.EndWith(" n=3"));
    }

    [Test]
    public void Build_OneClientOnly_HasNoValidationSection()
    {
        using var fixture = new Fixture();
        fixture.Add(Load("a.com", 0, Clients.Builtin, Protocols.H2, 1100));
        var report = ReportGenerator.Build(fixture.Store.ReadTrials(), fixture.Store.Meta, fixture.Store.ResolveArtifact, new ReportOptions { Png = false });
        Assert.That(report.Sections.Any(s => s.Id == "validation"), Is.False);
    }
}
