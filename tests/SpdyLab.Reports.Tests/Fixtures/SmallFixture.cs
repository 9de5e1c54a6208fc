using SpdyLab.Results;

namespace SpdyLab.Reports.Tests.Fixtures;

/// <summary>
/// A results database small enough to check by hand: two sites, two runs, DSL, 1% loss; HTTP and
/// SPDY/3.1 single-domain in Table 1, and a two-point loss sweep (Table 2). No Table 3 data.
///
///            HTTP PLT      SPDY PLT     HTTP hdr up raw/wire  SPDY hdr up raw/wire  packets HTTP/SPDY
///   a.com r0 1000          600          5000/5000             10000/1200            1000/600
///   a.com r1 1200          900
///   b.com r0 2000          1000
///   b.com r1 1800          1100
///   mean     1500          900          speedup 1 - 3600/6000 = 40%;  headers saved 88%;  packets 40% fewer
///   a.com: speedup 1 - 1500/2200 = 31.82%;  b.com: 1 - 2100/3800 = 44.74%
///   Table 2 at 2% loss: HTTP 2000 (a0), 3000 (b0); SPDY 1500, 2000 -> speedup 1 - 3500/5000 = 30%
/// </summary>
internal static class SmallFixture
{
    public static Fixture Create()
    {
        var fixture = new Fixture("small");
        var http = new[] { ("a.com", 0, 1000.0), ("a.com", 1, 1200.0), ("b.com", 0, 2000.0), ("b.com", 1, 1800.0) };
        var spdy = new[] { ("a.com", 0, 600.0), ("a.com", 1, 900.0), ("b.com", 0, 1000.0), ("b.com", 1, 1100.0) };
        foreach (var (site, run, plt) in http)
        {
            var t = Fixture.Trial(Designs.Table1, site, run, "dsl", Protocols.Http11, DomainModes.Multi, Features.None, plt);
            (t.HeaderBytesUpRaw, t.HeaderBytesUpWire, t.HeaderBytesDownRaw, t.HeaderBytesDownWire) = (5000, 5000, 8000, 8000);
            (t.PacketsUp, t.PacketsDown, t.LinkBytesUp, t.LinkBytesDown) = (400, 600, 40_000, 600_000);
            t.LowerBoundMs = plt / 4;
            fixture.Add(t);
        }
        foreach (var (site, run, plt) in spdy)
        {
            var t = Fixture.Trial(Designs.Table1, site, run, "dsl", Protocols.Spdy31, DomainModes.Single, Features.None, plt);
            (t.HeaderBytesUpRaw, t.HeaderBytesUpWire, t.HeaderBytesDownRaw, t.HeaderBytesDownWire) = (10000, 1200, 8000, 1200);
            (t.PacketsUp, t.PacketsDown, t.LinkBytesUp, t.LinkBytesDown) = (200, 400, 20_000, 580_000);
            t.LowerBoundMs = plt / 2;
            fixture.Add(t);
        }
        // A failed trial: counted, never averaged.
        var failed = Fixture.Trial(Designs.Table1, "c.com", 0, "dsl", Protocols.Spdy31, DomainModes.Single, Features.None, 1);
        (failed.Status, failed.Error, failed.PltMs) = (TrialStatus.Failed, "timeout", null);
        fixture.Add(failed);

        foreach (var (site, protocol, domain, loss, plt) in new[]
        {
            ("a.com", Protocols.Http11, DomainModes.Multi, 0.01, 1000.0), ("b.com", Protocols.Http11, DomainModes.Multi, 0.01, 2000.0),
            ("a.com", Protocols.Spdy31, DomainModes.Single, 0.01, 500.0), ("b.com", Protocols.Spdy31, DomainModes.Single, 0.01, 1000.0),
            ("a.com", Protocols.Http11, DomainModes.Multi, 0.02, 2000.0), ("b.com", Protocols.Http11, DomainModes.Multi, 0.02, 3000.0),
            ("a.com", Protocols.Spdy31, DomainModes.Single, 0.02, 1500.0), ("b.com", Protocols.Spdy31, DomainModes.Single, 0.02, 2000.0),
        })
        {
            fixture.Add(Fixture.Trial(Designs.Table2, site, 0, "cable", protocol, domain, Features.None, plt, loss: loss));
        }
        return fixture;
    }
}
