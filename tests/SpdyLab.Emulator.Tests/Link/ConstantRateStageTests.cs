using SpdyLab.Emulator.Link;
using static SpdyLab.Emulator.Tests.Link.StageTestHelpers;

namespace SpdyLab.Emulator.Tests.Link;

public class ConstantRateStageTests
{
    [TestCase(2_000_000, 1500, 6000)]
    [TestCase(375_000, 1500, 32000)]
    [TestCase(100_000_000, 1500, 120)]
    [TestCase(1_000_000_000, 1500, 12)]
    [TestCase(2_000_000, 52, 208)]
    public void Enqueue_OnePacketOnIdleLink_LeavesAfterExactSerializationTime(long rate, int size, long expectedMicros)
    {
        var stage = new ConstantRateStage(rate, QueueLimit.Unlimited);
        Assert.That(stage.Enqueue(PacketOf(size), 1000), Is.True);
        Assert.That(stage.NextEventTime, Is.EqualTo(1000 + expectedMicros));
        Assert.That(stage.TryDequeue(1000 + expectedMicros - 1, out _), Is.False);
        Assert.That(stage.TryDequeue(1000 + expectedMicros, out var packet), Is.True);
        Assert.That(packet!.Time, Is.EqualTo(1000 + expectedMicros));
    }

    [Test]
    public void Enqueue_BackToBackPackets_LeaveOneSerializationTimeApart()
    {
        var stage = new ConstantRateStage(2_000_000, QueueLimit.Unlimited);
        for (int i = 0; i < 3; i++) stage.Enqueue(PacketOf(1500), 0);
        var times = Drain(stage).Select(d => d.Time);
        Assert.That(times, Is.EqualTo(new long[] { 6000, 12000, 18000 }));
    }

    [Test]
    public void Enqueue_SizesWithFractionalMicroseconds_DoNotAccumulateDrift()
    {
        // 100 bytes at 375 kbit/s = 2133.33 us; three of them end at exactly 6400 us.
        var stage = new ConstantRateStage(375_000, QueueLimit.Unlimited);
        for (int i = 0; i < 3; i++) stage.Enqueue(PacketOf(100), 0);
        var times = Drain(stage).Select(d => d.Time);
        Assert.That(times, Is.EqualTo(new long[] { 2134, 4267, 6400 }));
    }

    [Test]
    public void Enqueue_AfterIdleGap_StartsAtArrivalNotAtLastFinish()
    {
        var stage = new ConstantRateStage(2_000_000, QueueLimit.Unlimited);
        stage.Enqueue(PacketOf(1500), 0);
        Assert.That(stage.TryDequeue(6000, out _), Is.True);
        stage.Enqueue(PacketOf(1500), 100_000);
        Assert.That(stage.NextEventTime, Is.EqualTo(106_000));
    }

    [Test]
    public void TryDequeue_CalledLate_ReportsScheduledDepartureTimes()
    {
        var stage = new ConstantRateStage(2_000_000, QueueLimit.Unlimited);
        stage.Enqueue(PacketOf(1500), 0);
        stage.Enqueue(PacketOf(1500), 0);
        Assert.That(stage.TryDequeue(50_000, out var first), Is.True);
        Assert.That(stage.TryDequeue(50_000, out var second), Is.True);
        Assert.That((first!.Time, second!.Time), Is.EqualTo((6000L, 12000L)));
    }

    [Test]
    public void Enqueue_PacketBehindAnother_RecordsItsQueueingDelay()
    {
        var stage = new ConstantRateStage(2_000_000, QueueLimit.Unlimited);
        stage.Enqueue(PacketOf(1500), 0);
        stage.Enqueue(PacketOf(1500), 1000);
        var packets = Drain(stage).Select(d => d.Packet.QueueDelay);
        Assert.That(packets, Is.EqualTo(new long[] { 0, 5000 }));
    }

    [Test]
    public void Enqueue_PacketLimitReached_DropsTail()
    {
        var stage = new ConstantRateStage(2_000_000, new QueueLimit(3, null));
        var accepted = Enumerable.Range(0, 5).Select(_ => stage.Enqueue(PacketOf(1500), 0)).ToList();
        Assert.That(accepted, Is.EqualTo(new[] { true, true, true, false, false }));
        Assert.That(stage.TryDequeue(6000, out _), Is.True);
        Assert.That(stage.Enqueue(PacketOf(1500), 6000), Is.True, "a slot frees once the head has left");
    }

    [Test]
    public void Enqueue_ByteLimitReached_DropsTheOneThatWouldExceedIt()
    {
        var stage = new ConstantRateStage(2_000_000, new QueueLimit(null, 4000));
        Assert.That(stage.Enqueue(PacketOf(1500), 0), Is.True);
        Assert.That(stage.Enqueue(PacketOf(1500), 0), Is.True);
        Assert.That(stage.Enqueue(PacketOf(1500), 0), Is.False);
        Assert.That(stage.Enqueue(PacketOf(1000), 0), Is.True, "a smaller packet still fits in the bytes left");
        Assert.That(stage.QueuedBytes, Is.EqualTo(4000));
    }

    [Test]
    public void DefaultFor_TypicalRates_Holds250MillisecondsWithTenPacketFloor()
    {
        Assert.That(QueueLimit.DefaultFor(2_000_000).Bytes, Is.EqualTo(62_500));
        Assert.That(QueueLimit.DefaultFor(375_000).Bytes, Is.EqualTo(15_000));
        Assert.That(QueueLimit.DefaultFor(100_000_000).Bytes, Is.EqualTo(3_125_000));
    }
}
