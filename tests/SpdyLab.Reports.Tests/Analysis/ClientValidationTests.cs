using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Tests.Fixtures;
using SpdyLab.Results;

namespace SpdyLab.Reports.Tests.Analysis;

/// <summary>The built-in client against Chromium: pairs, differences, and the report's section.</summary>
public class ClientValidationTests
{
    private static TrialRecord Load(string site, int run, string client, string protocol, double plt)
    {
        var t = Fixture.Trial(Designs.Custom, site, run, "cable", protocol, DomainModes.Multi, Features.None, plt, transport: Transports.Tls);
        t.Client = client;
        t.TrialKey = t.DefaultKey();
        return t;
    }

    private static List<TrialRecord> Trials() =>
    [
        Load("a.com", 0, Clients.Builtin, Protocols.H2, 1100), Load("a.com", 1, Clients.Builtin, Protocols.H2, 1300),
        Load("a.com", 0, Clients.Chromium, Protocols.H2, 1000), Load("a.com", 1, Clients.Chromium, Protocols.H2, 1000),
        Load("b.com", 0, Clients.Builtin, Protocols.H2, 500), Load("b.com", 0, Clients.Chromium, Protocols.H2, 1000),
        // Only one client: no pair.
        Load("c.com", 0, Clients.Builtin, Protocols.H2, 700),
        Load("a.com", 0, Clients.Builtin, Protocols.Http11, 2000),
    ];

    [Test]
    public void ClientPairs_BothClientsOnASite_DifferenceOfMeansRelativeToChromium()
    {
        var pairs = ReportBuilder.ClientPairs(Trials());

        Assert.That(pairs.Select(p => p.Site), Is.EqualTo(new[] { "a.com", "b.com" }));
        Assert.That(pairs[0].BuiltinPltMs, Is.EqualTo(1200));
        Assert.That(pairs[0].Difference, Is.EqualTo(0.2).Within(1e-9));
        Assert.That(pairs[1].Difference, Is.EqualTo(-0.5).Within(1e-9));
    }

    [Test]
    public void Build_BothClients_AddsTheComparisonWithMedianAndWorst()
    {
        using var fixture = new Fixture();
        foreach (var t in Trials()) fixture.Add(t);
        var report = ReportGenerator.Build(fixture.Store.ReadTrials(), fixture.Store.Meta, fixture.Store.ResolveArtifact, new ReportOptions { Rasterizer = null });

        var section = report.Sections.Single(s => s.Id == "clients");
        var summary = section.Tables.Single(t => t.Id == "clients-summary");
        Assert.That(summary.Rows, Has.Count.EqualTo(1));
        Assert.That(summary[0, "Median difference"].Display, Is.EqualTo("-15.0%"));
        Assert.That(summary[0, "Worst difference"].Display, Is.EqualTo("-50.0%"));
        Assert.That(summary[0, "Worst site"].Display, Is.EqualTo("b.com"));
        Assert.That(summary[0, "Within 10%"].Display, Is.EqualTo("0 of 2"));
    }

    [Test]
    public void Build_OneClientOnly_HasNoComparison()
    {
        using var fixture = new Fixture();
        fixture.Add(Load("a.com", 0, Clients.Builtin, Protocols.H2, 1100));
        var report = ReportGenerator.Build(fixture.Store.ReadTrials(), fixture.Store.Meta, fixture.Store.ResolveArtifact, new ReportOptions { Rasterizer = null });
        Assert.That(report.Sections.Any(s => s.Id == "clients"), Is.False);
    }
}
