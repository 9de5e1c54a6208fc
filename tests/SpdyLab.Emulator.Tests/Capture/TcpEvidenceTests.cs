using System.Buffers.Binary;
using SpdyLab.Emulator.Capture;

namespace SpdyLab.Emulator.Tests.Capture;

/// <summary>The evidence rules of <see cref="TcpEvidence"/> on hand-built packets, as a sender's capture shows
/// them: client 10.0.0.2:40000 opens a connection to server 10.0.0.1:80.</summary>
public class TcpEvidenceTests
{
    private const uint ClientIsn = 1000, ServerIsn = 5000;
    private const byte Syn = 0x02, Ack = 0x10, Fin = 0x01;

    /// <summary>An IPv4 packet (20-byte header) with a TCP header of 20 bytes and <paramref name="payload"/> zero bytes.</summary>
    private static byte[] Tcp(bool fromClient, uint seq, uint ack, byte flags, int payload = 0)
    {
        var packet = new byte[40 + payload];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 6; // TCP
        byte[] client = [10, 0, 0, 2], server = [10, 0, 0, 1];
        (fromClient ? client : server).CopyTo(packet, 12);
        (fromClient ? server : client).CopyTo(packet, 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), fromClient ? (ushort)40000 : (ushort)80);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), fromClient ? (ushort)80 : (ushort)40000);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(24), seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(28), ack);
        packet[32] = 5 << 4; // data offset: 5 words
        packet[33] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(34), 65535);
        return packet;
    }

    /// <summary>A connection set up at t = 0..20 ms; the server's data starts at sequence ServerIsn + 1.</summary>
    private static TcpEvidence Handshake()
    {
        var evidence = new TcpEvidence();
        evidence.Add(0, Tcp(true, ClientIsn, 0, Syn));
        evidence.Add(10_000, Tcp(false, ServerIsn, ClientIsn + 1, Syn | Ack));
        evidence.Add(20_000, Tcp(true, ClientIsn + 1, ServerIsn + 1, Ack));
        return evidence;
    }

    private static uint Data(int segment) => ServerIsn + 1 + (uint)(segment * 1000);

    /// <summary>The server sends segments 0..count-1 of 1000 bytes at t = 30 ms + 1 ms each.</summary>
    private static void ServerSends(TcpEvidence evidence, int count)
    {
        for (int i = 0; i < count; i++) evidence.Add(30_000 + i * 1000, Tcp(false, Data(i), ClientIsn + 1, Ack, 1000));
    }

    private static void ClientAcks(TcpEvidence evidence, long time, uint ack) => evidence.Add(time, Tcp(true, ClientIsn + 1, ack, Ack));

    [Test]
    public void Add_HandshakeRequestAndReply_CountsPacketsBytesAndHeadersPerDirection()
    {
        var evidence = Handshake();
        evidence.Add(21_000, Tcp(true, ClientIsn + 1, ServerIsn + 1, Ack, 100));
        evidence.Add(40_000, Tcp(false, ServerIsn + 1, ClientIsn + 101, Ack, 1000));
        ClientAcks(evidence, 50_000, ServerIsn + 1001);

        Assert.That(evidence.Connections, Is.EqualTo(1));
        Assert.That((evidence.Up.Packets, evidence.Up.Bytes, evidence.Up.HeaderBytes, evidence.Up.PayloadBytes), Is.EqualTo((4L, 260L, 160L, 100L)));
        Assert.That((evidence.Down.Packets, evidence.Down.Bytes, evidence.Down.HeaderBytes, evidence.Down.PayloadBytes), Is.EqualTo((2L, 1080L, 80L, 1000L)));
        Assert.That(evidence.Up.RetransmittedSegments + evidence.Down.RetransmittedSegments, Is.Zero);
        Assert.That(evidence.SynRetransmissions, Is.Zero);
    }

    [Test]
    public void Add_SynSentAgainAfterOneSecond_CountsSynRetransmissionAndItsWait()
    {
        var evidence = new TcpEvidence();
        evidence.Add(0, Tcp(true, ClientIsn, 0, Syn));
        evidence.Add(1_000_000, Tcp(true, ClientIsn, 0, Syn));
        evidence.Add(1_010_000, Tcp(false, ServerIsn, ClientIsn + 1, Syn | Ack));

        Assert.That(evidence.Connections, Is.EqualTo(1));
        Assert.That(evidence.SynRetransmissions, Is.EqualTo(1));
        Assert.That(evidence.SynWaitMs, Is.EqualTo(1000.0));
        Assert.That(evidence.Up.RetransmittedSegments, Is.EqualTo(1));
        Assert.That(evidence.Up.RecoveriesFast + evidence.Up.RecoveriesTimeout + evidence.Up.RecoveriesOther, Is.Zero, "a handshake is not a data recovery");
    }

    [Test]
    public void Add_NewSynOnTheSamePortsWithAnotherIsn_IsASecondConnection()
    {
        var evidence = Handshake();
        evidence.Add(900_000, Tcp(true, ClientIsn + 777_777, 0, Syn));

        Assert.That(evidence.Connections, Is.EqualTo(2));
        Assert.That(evidence.SynRetransmissions, Is.Zero);
    }

    [Test]
    public void Add_ThreeDuplicateAcksThenRetransmission_IsAFastRecovery()
    {
        var evidence = Handshake();
        ServerSends(evidence, 6); // segment 1 is lost on the way
        ClientAcks(evidence, 50_000, Data(1));
        for (int i = 0; i < 3; i++) ClientAcks(evidence, 51_000 + i * 1000, Data(1));
        evidence.Add(54_100, Tcp(false, Data(1), ClientIsn + 1, Ack, 1000));
        ClientAcks(evidence, 70_000, Data(6));

        Assert.That(evidence.Down.RetransmittedSegments, Is.EqualTo(1));
        Assert.That((evidence.Down.RecoveriesFast, evidence.Down.RecoveriesTimeout, evidence.Down.RecoveriesOther), Is.EqualTo((1L, 0L, 0L)));
    }

    [Test]
    public void Add_RetransmissionAfter300msOfSilence_IsATimeoutRecovery()
    {
        var evidence = Handshake();
        ServerSends(evidence, 2); // both lost: nothing comes back
        evidence.Add(31_000 + 300_000, Tcp(false, Data(0), ClientIsn + 1, Ack, 1000));

        Assert.That((evidence.Down.RecoveriesFast, evidence.Down.RecoveriesTimeout, evidence.Down.RecoveriesOther), Is.EqualTo((0L, 1L, 0L)));
    }

    [Test]
    public void Add_RetransmissionSoonAfterOneDuplicateAck_IsAnOtherRecovery()
    {
        var evidence = Handshake();
        ServerSends(evidence, 3);
        ClientAcks(evidence, 50_000, Data(1));
        ClientAcks(evidence, 51_000, Data(1)); // one duplicate (a SACK, in real life)
        evidence.Add(56_000, Tcp(false, Data(1), ClientIsn + 1, Ack, 1000));

        Assert.That((evidence.Down.RecoveriesFast, evidence.Down.RecoveriesTimeout, evidence.Down.RecoveriesOther), Is.EqualTo((0L, 0L, 1L)));
    }

    [Test]
    public void Add_TwoRetransmissionsBeforeTheRecoveryPointIsAcked_AreOneRecovery()
    {
        var evidence = Handshake();
        ServerSends(evidence, 8); // segments 1 and 3 lost
        ClientAcks(evidence, 50_000, Data(1));
        for (int i = 0; i < 3; i++) ClientAcks(evidence, 51_000 + i * 1000, Data(1));
        evidence.Add(54_100, Tcp(false, Data(1), ClientIsn + 1, Ack, 1000));
        ClientAcks(evidence, 75_000, Data(3)); // partial ACK: still in recovery (recovery point: segment 8)
        evidence.Add(75_100, Tcp(false, Data(3), ClientIsn + 1, Ack, 1000));
        ClientAcks(evidence, 95_000, Data(8));
        // A later loss after the recovery ended starts a new one.
        evidence.Add(96_000, Tcp(false, Data(8), ClientIsn + 1, Ack, 1000));
        evidence.Add(96_000 + 400_000, Tcp(false, Data(8), ClientIsn + 1, Ack, 1000));

        Assert.That(evidence.Down.RetransmittedSegments, Is.EqualTo(3));
        Assert.That((evidence.Down.RecoveriesFast, evidence.Down.RecoveriesTimeout, evidence.Down.RecoveriesOther), Is.EqualTo((1L, 1L, 0L)));
    }

    [Test]
    public void Add_FinAndKeepAliveProbe_FinTakesSequenceSpaceProbeIsNoRetransmission()
    {
        var evidence = Handshake();
        ServerSends(evidence, 1);
        ClientAcks(evidence, 50_000, Data(1));
        evidence.Add(60_000, Tcp(false, Data(1) - 1, ClientIsn + 1, Ack, 1)); // keep-alive: one byte below snd_nxt
        evidence.Add(70_000, Tcp(false, Data(1), ClientIsn + 1, Ack | Fin));
        evidence.Add(700_000, Tcp(false, Data(1), ClientIsn + 1, Ack | Fin)); // the FIN again: a retransmission

        Assert.That(evidence.Down.RetransmittedSegments, Is.EqualTo(1));
    }

    [Test]
    public void Add_NotTcp_CountedApartAndNotJudged()
    {
        var evidence = new TcpEvidence();
        var udp = Tcp(true, 0, 0, 0);
        udp[9] = 17;
        evidence.Add(0, udp);
        evidence.Add(1, [0x00, 0x01]);

        Assert.That(evidence.OtherPackets, Is.EqualTo(2));
        Assert.That(evidence.Up.Packets + evidence.Down.Packets, Is.Zero);
    }
}
