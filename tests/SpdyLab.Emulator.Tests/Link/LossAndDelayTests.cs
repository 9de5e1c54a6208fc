using SpdyLab.Emulator.Link;
using static SpdyLab.Emulator.Tests.Link.StageTestHelpers;

namespace SpdyLab.Emulator.Tests.Link;

public class LossAndDelayTests
{
    [Test]
    public void DelayStage_Packets_LeaveExactlyDelayLater()
    {
        var stage = new DelayStage(50_000);
        stage.Enqueue(PacketOf(100), 10);
        stage.Enqueue(PacketOf(100), 20);
        Assert.That(stage.TryDequeue(50_009, out _), Is.False);
        Assert.That(Drain(stage).Select(d => d.Time), Is.EqualTo(new long[] { 50_010, 50_020 }));
    }

    private static List<bool> Pattern(ILossModel model, int count) => Enumerable.Range(0, count).Select(_ => model.NextIsLost()).ToList();

    [Test]
    public void Bernoulli_OnePercent_LossWithinBinomialBounds()
    {
        const int n = 200_000;
        var lost = Pattern(new BernoulliLoss(0.01, new SeededRandom(42)), n).Count(x => x);
        double sigma = Math.Sqrt(n * 0.01 * 0.99);
        Assert.That(lost, Is.InRange(n * 0.01 - 4 * sigma, n * 0.01 + 4 * sigma));
    }

    [Test]
    public void Bernoulli_SameSeed_SamePattern_OtherSeed_OtherPattern()
    {
        var a = Pattern(new BernoulliLoss(0.05, new SeededRandom(7)), 5000);
        var b = Pattern(new BernoulliLoss(0.05, new SeededRandom(7)), 5000);
        var c = Pattern(new BernoulliLoss(0.05, new SeededRandom(8)), 5000);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
    }

    [Test]
    public void SeededRandom_Derive_GivesDirectionsDifferentStreams()
    {
        var down = new SeededRandom(SeededRandom.Derive(1, "down")).NextUInt64();
        var up = new SeededRandom(SeededRandom.Derive(1, "up")).NextUInt64();
        Assert.That(down, Is.Not.EqualTo(up));
        Assert.That(new SeededRandom(SeededRandom.Derive(1, "down")).NextUInt64(), Is.EqualTo(down));
    }

    [Test]
    public void GilbertElliott_MeanLossAndBurstLength_MatchParameters()
    {
        // p = 0.25%, r = 25%: mean loss 0.99%, mean burst 4 packets.
        var model = new GilbertElliottLoss(0.0025, 0.25, 1, 0, new SeededRandom(3));
        var pattern = Pattern(model, 400_000);
        double loss = pattern.Count(x => x) / (double)pattern.Count;
        Assert.That(loss, Is.EqualTo(model.MeanLoss).Within(0.0015));
        var bursts = new List<int>();
        int run = 0;
        foreach (var lost in pattern)
        {
            if (lost) run++;
            else if (run > 0) { bursts.Add(run); run = 0; }
        }
        Assert.That(bursts.Average(), Is.EqualTo(4).Within(0.4));
    }

    [Test]
    public void LossStage_LostPacket_IsRefusedWithLossCause()
    {
        var stage = new LossStage(new BernoulliLoss(1, new SeededRandom(1)));
        Assert.That(stage.Enqueue(PacketOf(10), 0), Is.False);
        Assert.That(stage.DropCause, Is.EqualTo(DropCause.Loss));
    }

    [Test]
    public void LinkDirection_LossRateDelayChain_DeliversAtSumOfStagesAndCounts()
    {
        var link = LinkDirection.Build("down", new DirectionSpec
        {
            RateBitsPerSecond = 2_000_000,
            DelayMicroseconds = 50_000,
            Queue = new QueueLimit(2, null),
        }, 1);
        var delivered = new List<long>();
        for (int i = 0; i < 3; i++) link.Enqueue(PacketOf(1500), 0);
        long now = 0;
        while (link.NextEventTime is var next && next != long.MaxValue)
        {
            now = next;
            link.Pump(now, p => delivered.Add(p.Time));
        }
        Assert.That(delivered, Is.EqualTo(new long[] { 56_000, 62_000 }));
        Assert.That(link.Counters.PacketsIn, Is.EqualTo(3));
        Assert.That(link.Counters.PacketsOut, Is.EqualTo(2));
        Assert.That(link.Counters.QueueDrops, Is.EqualTo(1));
        Assert.That(link.Counters.QueueDelay.Percentile(1.0), Is.EqualTo(6000));
    }

    [Test]
    public void LinkDirection_PumpedLate_KeepsVirtualSchedule()
    {
        var link = LinkDirection.Build("up", new DirectionSpec { RateBitsPerSecond = 2_000_000, DelayMicroseconds = 10_000 }, 1);
        link.Enqueue(PacketOf(1500), 0);
        var delivered = new List<long>();
        link.Pump(100_000, p => delivered.Add(p.Time));
        Assert.That(delivered, Is.EqualTo(new long[] { 16_000 }));
    }

    [Test]
    public void LatencyHistogram_Percentiles_WithinOnePercent()
    {
        var histogram = new LatencyHistogram();
        for (int i = 1; i <= 10_000; i++) histogram.Record(i * 10);
        Assert.That(histogram.Percentile(0.5), Is.EqualTo(50_000).Within(1).Percent);
        Assert.That(histogram.Percentile(0.99), Is.EqualTo(99_000).Within(1).Percent);
        Assert.That(histogram.Percentile(1.0), Is.EqualTo(100_000));
        Assert.That(histogram.Count, Is.EqualTo(10_000));
    }
}
