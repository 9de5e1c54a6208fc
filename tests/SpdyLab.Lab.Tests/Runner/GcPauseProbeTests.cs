using SpdyLab.Lab.Runner;

namespace SpdyLab.Lab.Tests.Runner;

public class GcPauseProbeTests
{
    [Test]
    [CancelAfter(20_000)]
    public void Report_AfterBlockingCollections_CountsThemAndTheirPauses()
    {
        using var probe = new GcPauseProbe();
        // The runtime's events reach an in-process listener asynchronously: collect until some arrived.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (probe.PausesMs.Count < 3 && DateTime.UtcNow < deadline)
        {
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            Thread.Sleep(50);
        }

        Assert.That(probe.PausesMs, Has.Count.GreaterThanOrEqualTo(3), "pause events of the forced collections");
        Assert.That(probe.PausesMs, Is.All.GreaterThanOrEqualTo(0.0).And.All.LessThan(10_000.0));
        Assert.That(probe.Report(), Does.Match(@"^GC: \d+ collections \(gen1 \d+, gen2 \d+\) in \d+ s; threads \(and links\) stopped \d+ ms in total"));
        Assert.That(probe.Report(), Does.Match(@"longest \d+ ms \(gen[012] (blocking|background|foreground), began \d\d:\d\d:\d\d\.\d UTC\)"),
            "the longest pause names its collection (not necessarily one of ours: other tests in the process collect too)");
    }
}
