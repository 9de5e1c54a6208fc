using SpdyLab.Emulator.Link;
using static SpdyLab.Emulator.Tests.Link.StageTestHelpers;

namespace SpdyLab.Emulator.Tests.Link;

public class TraceRateStageTests
{
    private static TraceRateStage StageOf(params long[] ms) => new(new MahimahiTrace(ms), QueueLimit.Unlimited);

    [Test]
    public void Enqueue_FullPackets_LeaveAtSuccessiveOpportunitiesAndLoop()
    {
        var stage = StageOf(1, 2, 3);
        for (int i = 0; i < 5; i++) stage.Enqueue(PacketOf(1500), 0);
        var times = Drain(stage).Select(d => d.Time);
        // Period 3 ms: opportunities at 1,2,3 then 4,5,6 ms...
        Assert.That(times, Is.EqualTo(new long[] { 1000, 2000, 3000, 4000, 5000 }));
    }

    [Test]
    public void Enqueue_SmallPackets_ShareOneOpportunity()
    {
        var stage = StageOf(1, 2);
        stage.Enqueue(PacketOf(700), 0);
        stage.Enqueue(PacketOf(700), 0);
        stage.Enqueue(PacketOf(700), 0);
        var times = Drain(stage).Select(d => d.Time);
        Assert.That(times, Is.EqualTo(new long[] { 1000, 1000, 2000 }));
    }

    [Test]
    public void Enqueue_PacketLargerThanWhatIsLeft_CarriesOverToNextOpportunity()
    {
        var stage = StageOf(1, 2, 3);
        stage.Enqueue(PacketOf(1000), 0);
        stage.Enqueue(PacketOf(1000), 0); // 500 B in the 1 ms opportunity, 500 B in the 2 ms one
        stage.Enqueue(PacketOf(1000), 0); // 1000 B of what is left at 2 ms
        var times = Drain(stage).Select(d => d.Time);
        Assert.That(times, Is.EqualTo(new long[] { 1000, 2000, 2000 }));
    }

    [Test]
    public void Enqueue_OnIdleLink_WastesOpportunitiesThatPassedBeforeArrival()
    {
        var stage = StageOf(1, 2, 3, 4);
        stage.Enqueue(PacketOf(1500), 2500);
        Assert.That(stage.NextEventTime, Is.EqualTo(3000));
        stage.Enqueue(PacketOf(1500), 3000); // exactly on an opportunity: the head took it, this one waits
        Assert.That(Drain(stage).Select(d => d.Time), Is.EqualTo(new long[] { 3000, 4000 }));
    }

    [Test]
    public void Enqueue_LongAfterStart_FindsOpportunityInLaterLoop()
    {
        var stage = StageOf(5, 10);
        stage.Enqueue(PacketOf(1500), 1_000_000_007); // 1,000,000 ms = 100,000 loops of 10 ms; +7 us
        Assert.That(stage.NextEventTime, Is.EqualTo(1_000_005_000));
    }

    [Test]
    public void Enqueue_QueuedPacketArrivingAfterAnOpportunity_DoesNotUseIt()
    {
        // Head arrives at 0 (1 ms opportunity); the second arrives at 1.5 ms, after the 1 ms opportunity
        // was spent, even though nobody asked the stage in between.
        var stage = StageOf(1, 2, 3);
        stage.Enqueue(PacketOf(200), 0);
        stage.Enqueue(PacketOf(200), 1500);
        Assert.That(Drain(stage).Select(d => d.Time), Is.EqualTo(new long[] { 1000, 2000 }));
    }

    [Test]
    public void Parse_MahimahiFile_ReadsOpportunitiesAndMeanRate()
    {
        var trace = MahimahiTrace.Parse(new StringReader("1\n1\n2\n# comment\n\n4\n"), "t");
        Assert.That(trace.OpportunitiesMs, Is.EqualTo(new long[] { 1, 1, 2, 4 }));
        Assert.That(trace.PeriodMs, Is.EqualTo(4));
        Assert.That(trace.MeanBitsPerSecond, Is.EqualTo(12_000_000)); // 4 x 1500 B per 4 ms
    }

    [TestCase("1\nx\n", "line 2: 'x' is not a millisecond timestamp")]
    [TestCase("5\n3\n", "line 2: timestamp 3 is smaller")]
    [TestCase("0\n0\n", "last timestamp must be positive")]
    [TestCase("", "no delivery opportunities")]
    public void Parse_BadTrace_SaysWhatIsWrong(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => MahimahiTrace.Parse(new StringReader(text), "f.trace"));
        Assert.That(error!.Message, Does.Contain(expected).And.StartWith("f.trace"));
    }
}
