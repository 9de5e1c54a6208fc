using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Tables;
using SpdyLab.Reports.Tests.Fixtures;
using SpdyLab.Results;

namespace SpdyLab.Reports.Tests.Analysis;

/// <summary>The packet-claims section on a fixture whose evidence is known: at 1% loss SPDY sends 40% fewer
/// packets, opens 1 connection instead of 20, loses no SYN where HTTP loses 2 (1 s each) and recovers mostly
/// without timers; at 2% both protocols show the same packets.</summary>
public class PacketClaimsTests
{
    private static Report report = null!;

    [OneTimeSetUp]
    public static void BuildReport()
    {
        using var fixture = new Fixture("claims");
        string[] sites = ["a.example", "b.example", "c.example", "d.example"];
        for (int i = 0; i < sites.Length; i++)
        {
            var http = Fixture.Trial(Designs.Table2, sites[i], 0, "cable", Protocols.Http11, DomainModes.Multi, Features.None, 2000, loss: 0.01);
            Evidence(http, packets: 1000 + i * 10, connections: 20, syns: 2, timeouts: 5, fast: 2, other: 3);
            var spdy = Fixture.Trial(Designs.Table2, sites[i], 0, "cable", Protocols.Spdy31, DomainModes.Single, Features.None, 1500, loss: 0.01);
            Evidence(spdy, packets: 600 + i * 6, connections: 1, syns: 0, timeouts: 1, fast: 4, other: 3);
            fixture.Add(http);
            fixture.Add(spdy);
            var httpLossy = Fixture.Trial(Designs.Table2, sites[i], 0, "cable", Protocols.Http11, DomainModes.Multi, Features.None, 3000, loss: 0.02);
            Evidence(httpLossy, packets: 900 + i * 10, connections: 20, syns: 0, timeouts: 2, fast: 2, other: 2);
            var spdyLossy = Fixture.Trial(Designs.Table2, sites[i], 0, "cable", Protocols.Spdy31, DomainModes.Single, Features.None, 3000, loss: 0.02);
            Evidence(spdyLossy, packets: 900 + i * 10, connections: 1, syns: 0, timeouts: 2, fast: 2, other: 2);
            fixture.Add(httpLossy);
            fixture.Add(spdyLossy);
        }
        report = ReportGenerator.Build(fixture.Store.ReadTrials(), fixture.Store.Meta, fixture.Store.ResolveArtifact, new ReportOptions { Png = false });
    }

    private static void Evidence(TrialRecord t, long packets, int connections, int syns, long timeouts, long fast, long other)
    {
        t.PcapPacketsUp = packets / 2;
        t.PcapPacketsDown = packets - packets / 2;
        t.PcapBytesUp = packets * 100;
        t.PcapBytesDown = packets * 900;
        t.PcapHeaderBytesUp = packets * 26;
        t.PcapHeaderBytesDown = packets * 26;
        t.PcapConnections = connections;
        t.PcapSynRetransmissions = syns;
        t.PcapSynWaitMs = syns * 1000.0;
        t.PcapRetransmissionsUp = 0;
        t.PcapRetransmissionsDown = timeouts + fast + other;
        t.PcapRecoveriesFast = fast;
        t.PcapRecoveriesTimeout = timeouts;
        t.PcapRecoveriesOther = other;
    }

    private static ReportTable Table => report.AllTables.Single(t => t.Id == "packet-claims");

    private static IReadOnlyList<Cell> Row(string loss, string measure) =>
        Table.Rows.Single(r => r[0].Display == loss && r[2].Display.StartsWith(measure, StringComparison.Ordinal));

    private static string Verdict(string loss, string measure) => Row(loss, measure)[6].Display;

    [Test]
    public void PacketClaims_FortyPercentFewerPackets_ClaimOneConfirmedWithTheValue()
    {
        var reduction = ((EstimateCell)Row("1%", "IP packets")[5]).Estimate;
        Assert.That(reduction.Value, Is.EqualTo(0.4).Within(1e-9));
        Assert.That(Verdict("1%", "IP packets"), Is.EqualTo("confirmed (~40% inside the interval)"));
    }

    [Test]
    public void PacketClaims_FewerConnectionsAndNoLostSyn_ClaimTwoConfirmedAndOneSecondPerSyn()
    {
        Assert.That(Verdict("1%", "SYN retransmissions"), Is.EqualTo("confirmed"));
        Assert.That(Row("1%", "wait per lost SYN")[3].Display, Is.EqualTo("1000.0"));
        Assert.That(Verdict("1%", "wait per lost SYN"), Is.EqualTo("costly, but about 1.0 s, not 3 s"));
    }

    [Test]
    public void PacketClaims_FewerTimeoutsLargerNonTimeoutShare_ClaimThreeConfirmed()
    {
        Assert.That(((EstimateCell)Row("1%", "share of recoveries not by timeout")[3]).Estimate.Value, Is.EqualTo(0.5).Within(1e-9));
        Assert.That(((EstimateCell)Row("1%", "share of recoveries not by timeout")[4]).Estimate.Value, Is.EqualTo(7.0 / 8).Within(1e-9));
        Assert.That(Verdict("1%", "share of recoveries not by timeout"), Is.EqualTo("confirmed"));
    }

    [Test]
    public void PacketClaims_SamePacketsAndNoLostSyns_NotShown()
    {
        Assert.That(Verdict("2%", "IP packets"), Is.EqualTo("not shown"));
        Assert.That(Verdict("2%", "SYN retransmissions"), Is.EqualTo("not shown: no SYN was lost"));
        Assert.That(Verdict("2%", "share of recoveries not by timeout"), Is.EqualTo("not shown"));
    }
}
