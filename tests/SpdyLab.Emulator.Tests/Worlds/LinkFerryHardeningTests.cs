using System.Buffers.Binary;
using SpdyLab.Emulator.Capture;
using SpdyLab.Emulator.Link;
using SpdyLab.Emulator.Worlds;

namespace SpdyLab.Emulator.Tests.Worlds;

/// <summary>
/// The ferry against hostile input, on socket pairs standing in for TUN devices (no root needed):
/// malformed packets, bursts far beyond the queue, oversized packets, a capture whose disk is full.
/// In every case the link keeps carrying packets and each kind of trouble is reported once.
/// </summary>
[CancelAfter(20_000)]
public class LinkFerryHardeningTests
{
    private sealed class Rig : IDisposable
    {
        public readonly PacketPipe Source = new();
        public readonly PacketPipe Destination = new();
        public readonly List<string> Warnings = [];
        public readonly LinkFerry Ferry;
        private readonly System.Collections.Concurrent.BlockingCollection<byte[]> _received = new();
        private readonly Thread _receiver;
        private volatile bool _stopping;

        public Rig(string? rate = null, string? queue = null, PcapCapture? capture = null, int maxPacketsHeld = LinkFerry.MaxPacketsHeld)
        {
            var spec = new LinkOptions { Up = rate, Queue = queue }.ToSpec();
            Ferry = new LinkFerry(LinkDirection.Build("up", spec.Up, spec.Seed), Source.FerryEnd, Destination.FerryEnd, 1500,
                sourceCapture: capture, warn: line => { lock (Warnings) Warnings.Add(line); }, maxPacketsHeld: maxPacketsHeld);
            Ferry.Start();
            // Drain the far end as it fills, as the kernel does with a TUN device.
            _receiver = new Thread(() =>
            {
                while (!_stopping)
                {
                    if (Destination.Receive(50) is { } packet) _received.Add(packet);
                }
            }) { IsBackground = true };
            _receiver.Start();
        }

        /// <summary>The next packet out of the link, or null after <paramref name="timeoutMs"/>.</summary>
        public byte[]? Next(int timeoutMs) => _received.TryTake(out var packet, timeoutMs) ? packet : null;

        public LinkCounters Counters => Ferry.Link.Counters;

        /// <summary>Packets received at the far end until <paramref name="done"/> holds (or 10 s pass: a
        /// loaded machine may starve the ferry for a while), then whatever else arrives within 100 ms.</summary>
        public List<byte[]> ReceiveUntil(Func<List<byte[]>, bool> done)
        {
            var received = new List<byte[]>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!done(received) && clock.ElapsedMilliseconds < 10_000)
            {
                if (Next(20) is { } packet) received.Add(packet);
            }
            while (Next(100) is { } extra) received.Add(extra);
            return received;
        }

        /// <summary>Every packet of a burst of <paramref name="count"/> entered the link and left it or was dropped.</summary>
        public bool Settled(List<byte[]> received, int count)
        {
            long packetsIn = Volatile.Read(ref Counters.PacketsIn), packetsOut = Volatile.Read(ref Counters.PacketsOut), drops = Volatile.Read(ref Counters.QueueDrops);
            return packetsIn == count && packetsOut + drops == count && received.Count == packetsOut;
        }

        public void Dispose()
        {
            Ferry.Stop();
            _stopping = true;
            _receiver.Join();
            Source.Dispose();
            Destination.Dispose();
        }
    }

    private static byte[] Ipv4(int length, byte tag, ushort flagsAndOffset = 0, int? totalLengthField = null)
    {
        var packet = new byte[length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(totalLengthField ?? length));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), flagsAndOffset);
        packet[8] = 64;
        packet[9] = 17;
        packet[^1] = tag;
        return packet;
    }

    private static byte[] Probe(byte tag) => Ipv4(100, tag);

    [Test]
    public void Ferry_MalformedPackets_CrossUnchangedInOrderAndLinkKeepsWorking()
    {
        using var rig = new Rig();
        var ipv6 = new byte[60];
        ipv6[0] = 0x60;
        var sent = new List<byte[]>
        {
            new byte[] { 0x45 },                                   // one byte
            Ipv4(20, 1)[..10],                                     // IPv4 header cut short
            Ipv4(40, 2, totalLengthField: 1400),                   // total length beyond the packet
            Ipv4(40, 3, totalLengthField: 8),                      // total length below the header
            Enumerable.Repeat((byte)0, 64).ToArray(),              // not IP at all (version 0)
            Enumerable.Repeat((byte)0xff, 200).ToArray(),          // not IP at all (version 15)
            ipv6,                                                  // IPv6
            Ipv4(600, 4, flagsAndOffset: 0x2000),                  // first fragment (MF)
            Ipv4(300, 5, flagsAndOffset: 0x004b),                  // last fragment (offset 75)
            Ipv4(1500, 6),                                         // exactly the MTU
            Probe(7),
        };
        rig.Source.Send([]); // a zero-length read: nothing to carry, and no stall
        foreach (var packet in sent) rig.Source.Send(packet);

        var received = rig.ReceiveUntil(r => r.Count >= sent.Count);

        Assert.That(received, Has.Count.EqualTo(sent.Count));
        for (int i = 0; i < sent.Count; i++) Assert.That(received[i], Is.EqualTo(sent[i]), $"packet {i}");
        Assert.That(rig.Counters.PacketsOut, Is.EqualTo(sent.Count));
        Assert.That(rig.Ferry.Failure, Is.Null);
        Assert.That(rig.Warnings, Is.Empty);
    }

    [Test]
    public void Ferry_PacketLargerThanMtu_IsDroppedNotTruncatedAndReportedOnce()
    {
        using var rig = new Rig();
        rig.Source.Send(Ipv4(3000, 1));
        rig.Source.Send(Ipv4(9000, 2));
        rig.Source.Send(Probe(3));

        var received = rig.ReceiveUntil(r => r.Count >= 1);

        Assert.That(received, Has.Count.EqualTo(1));
        Assert.That(received[0], Is.EqualTo(Probe(3)));
        Assert.That(rig.Counters.OversizeDrops, Is.EqualTo(2));
        Assert.That(rig.Warnings, Has.Count.EqualTo(1));
        Assert.That(rig.Warnings[0], Does.Contain("larger than 1500 bytes"));
    }

    [Test]
    public void Ferry_BurstFarBeyondQueue_DropsCountedHeldPacketsBoundedNoStall()
    {
        // 1 Mbit/s with a 10-packet queue: 3000 packets at once cannot fit.
        using var rig = new Rig(rate: "1mbit", queue: "10pkt");
        const int burst = 3000;
        for (int i = 0; i < burst; i++) rig.Source.Send(Ipv4(500, (byte)i));
        var received = rig.ReceiveUntil(r => rig.Settled(r, burst));

        Assert.That(Volatile.Read(ref rig.Counters.PacketsIn), Is.EqualTo(burst));
        Assert.That(rig.Counters.QueueDrops, Is.GreaterThan(burst * 9 / 10));
        Assert.That(rig.Counters.PacketsOut + rig.Counters.QueueDrops, Is.EqualTo(burst), "every packet delivered or counted as dropped");
        Assert.That(received, Has.Count.EqualTo(rig.Counters.PacketsOut));
        // Memory: the queue's 10 packets plus one read batch, whatever the burst.
        Assert.That(rig.Ferry.PeakPacketsHeld, Is.LessThanOrEqualTo(10 + 64 + 1));
        Assert.That(rig.Ferry.PacketsHeld, Is.EqualTo(0));

        // No stall: the link carries the next packet at once.
        rig.Source.Send(Probe(99));
        Assert.That(rig.Next(2_000), Is.EqualTo(Probe(99)));
    }

    [Test]
    public void Ferry_BurstIntoUnlimitedQueue_HeldPacketsCappedAndReportedOnce()
    {
        using var rig = new Rig(rate: "1mbit", queue: "unlimited", maxPacketsHeld: 200);
        for (int i = 0; i < 1000; i++) rig.Source.Send(Ipv4(100, (byte)i));
        var received = rig.ReceiveUntil(r => rig.Settled(r, 1000));

        Assert.That(rig.Ferry.PeakPacketsHeld, Is.LessThanOrEqualTo(201));
        Assert.That(rig.Counters.QueueDrops, Is.GreaterThan(700));
        Assert.That(received, Has.Count.EqualTo(rig.Counters.PacketsOut));
        Assert.That(rig.Counters.PacketsOut + rig.Counters.QueueDrops, Is.EqualTo(1000));
        Assert.That(rig.Warnings, Has.Count.EqualTo(1));
        Assert.That(rig.Warnings[0], Does.Contain("more than 200 packets held"));
        rig.Source.Send(Probe(7));
        Assert.That(rig.Next(2_000), Is.EqualTo(Probe(7)));
    }

    [Test]
    public void Ferry_CaptureDiskFull_LinkCarriesEveryPacketAndFailureReportedOnce()
    {
        // /dev/full takes the open and fails every write with ENOSPC, as a full disk does.
        var capture = PcapCapture.Create("/dev/full", 0, 0);
        using var rig = new Rig(capture: capture);
        capture.Failed = line => { lock (rig.Warnings) rig.Warnings.Add(line); };
        const int count = 200;
        var received = new List<byte[]>();
        // In rounds of 20, so the test's reader (not the link) never falls behind the far end's socket buffer.
        for (int round = 0; round < count / 20; round++)
        {
            for (int i = 0; i < 20; i++) rig.Source.Send(Ipv4(1000, (byte)i));
            for (int i = 0; i < 20 && rig.Next(2_000) is { } packet; i++) received.Add(packet);
        }

        capture.Complete();
        Assert.That(received, Has.Count.EqualTo(count));
        Assert.That(rig.Ferry.Failure, Is.Null);
        Assert.That(capture.Failure, Is.InstanceOf<IOException>());
        Assert.That(capture.PacketsWritten + capture.PacketsNotWritten, Is.EqualTo(count));
        Assert.That(capture.PacketsNotWritten, Is.GreaterThan(count / 2));
        Assert.That(rig.Warnings, Has.Count.EqualTo(1));
        Assert.That(rig.Warnings[0], Does.Contain("/dev/full stopped").And.Contain("No space left on device").And.Contain("the link goes on"));
    }
}
