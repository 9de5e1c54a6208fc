using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace SpdyLab.Emulator.Capture;

/// <summary>What one direction of the captured TCP traffic shows. "Up" is from the side that opened the
/// connections (the client: it sends every SYN) to the side that accepted them.</summary>
public sealed class DirectionEvidence
{
    /// <summary>IP packets (TCP or not).</summary>
    public long Packets { get; internal set; }

    /// <summary>IP bytes: each packet's IP total length, headers included.</summary>
    public long Bytes { get; internal set; }

    /// <summary>IP and TCP header bytes (options included): what the packets cost beyond their payload.</summary>
    public long HeaderBytes { get; internal set; }

    /// <summary>TCP payload bytes.</summary>
    public long PayloadBytes { get; internal set; }

    /// <summary>Segments that carry sequence space already sent (payload, SYN or FIN): retransmissions,
    /// SYN retransmissions included.</summary>
    public long RetransmittedSegments { get; internal set; }

    /// <summary>Loss recoveries by the sender of this direction, by what started them (see <see cref="TcpEvidence"/>).</summary>
    public long RecoveriesFast { get; internal set; }
    public long RecoveriesTimeout { get; internal set; }
    public long RecoveriesOther { get; internal set; }
}

/// <summary>How a retransmission that starts a loss recovery was triggered (the rule: <see cref="TcpEvidence"/>).</summary>
public enum RecoveryTrigger { Fast, Timeout, Other }

/// <summary>
/// Packet evidence of one capture file of raw IP packets (PacketDotNet parses, SharpPcap reads): packets,
/// bytes and header bytes per direction, TCP connections, SYN retransmissions and the time they cost,
/// retransmitted segments, and loss recoveries by fast retransmit, by timeout, or otherwise.
/// <para>Each sender's data and the ACKs it received are judged as they appear in the file, so the
/// figures are exact for the sender whose side the file was captured at (packets it sent that the link
/// then lost are in the file, and ACKs appear when they reached it); the lab takes each direction from its
/// sender's capture.</para>
/// <para>Rules (RFC 793 sequence space: payload, SYN and FIN each take sequence numbers):</para>
/// <list type="bullet">
/// <item>A segment is a <b>retransmission</b> when it carries sequence space and starts below the highest
/// sequence number its sender had sent (a keep-alive or window probe, one byte just below it, is not).</item>
/// <item>A <b>SYN retransmission</b> is a SYN without ACK with the same initial sequence number as one
/// sent before on that connection; the connection's <b>SYN wait</b> is the time from its first SYN to its
/// last, what the lost SYNs cost it.</item>
/// <item>A <b>duplicate ACK</b> (RFC 5681 §2, without the window-equality condition, which SACK traffic
/// breaks) is a pure ACK (no payload, no SYN/FIN) whose acknowledgment number equals the highest one the
/// sender has received while data is outstanding.</item>
/// <item>A <b>loss recovery</b> starts with the first retransmission of a direction while none is under way;
/// it ends when the cumulative ACK passes the highest sequence sent when it started (NewReno's "recover"
/// point, RFC 6582 §3.2). Its trigger is <see cref="RecoveryTrigger.Fast"/> when at least 3 duplicate ACKs
/// for the retransmitted sequence reached the sender before it (RFC 5681 §3.2 fast retransmit);
/// <see cref="RecoveryTrigger.Timeout"/> when not, and the sender had received nothing on that connection
/// for at least <see cref="MinimumRtoMicros"/> (Linux's smallest retransmission timeout, TCP_RTO_MIN:
/// only a timer makes a sender retransmit after that much silence); <see cref="RecoveryTrigger.Other"/>
/// otherwise (RACK or early retransmit on one or two SACKed duplicate ACKs). A retransmission that
/// qualifies as a timeout during a recovery starts a new recovery (the fast recovery failed).</item>
/// </list>
/// <para>Limits: a tail-loss probe that re-sends the last segment after 2 RTTs of silence counts as a
/// timeout when RTT ≥ 100 ms; retransmissions of the first packets of a connection before any ACK came
/// back are judged on silence since the SYN exchange; reordering (the emulator never reorders) would
/// look like loss.</para>
/// </summary>
public sealed class TcpEvidence
{
    /// <summary>200 ms: Linux's TCP_RTO_MIN, the shortest time after which its retransmission timer fires.</summary>
    public const long MinimumRtoMicros = 200_000;

    /// <summary>Duplicate ACKs that trigger a fast retransmit (RFC 5681 §3.2: DupThresh).</summary>
    public const int DuplicateAckThreshold = 3;

    private readonly Dictionary<FlowKey, Connection> _connections = [];

    public DirectionEvidence Up { get; } = new();
    public DirectionEvidence Down { get; } = new();

    /// <summary>IP packets that are not TCP, or not IP (counted, not judged).</summary>
    public long OtherPackets { get; private set; }

    /// <summary>TCP connections whose first SYN is in the capture.</summary>
    public int Connections { get; private set; }

    /// <summary>SYNs (without ACK) sent again with the same initial sequence number.</summary>
    public int SynRetransmissions { get; private set; }

    /// <summary>Sum over connections of the time from the first SYN to the last one, milliseconds.</summary>
    public double SynWaitMs { get; private set; }

    public long Packets => Up.Packets + Down.Packets + OtherPackets;

    /// <summary>Reads a pcap file of raw IP packets (LINKTYPE_RAW) through SharpPcap and judges every packet.
    /// Throws <see cref="IOException"/> when the file cannot be read.</summary>
    public static TcpEvidence Read(string path)
    {
        var evidence = new TcpEvidence();
        using var device = new CaptureFileReaderDevice(path);
        try
        {
            device.Open();
        }
        catch (PcapException e)
        {
            throw new IOException($"cannot read the packet capture {path}: {e.Message}", e);
        }
        while (true)
        {
            var status = device.GetNextPacket(out PacketCapture capture);
            if (status == GetPacketStatus.NoRemainingPackets) break;
            if (status != GetPacketStatus.PacketRead)
            {
                throw new IOException($"cannot read the packet capture {path}: {status} after {evidence.Packets} packets (a truncated file?)");
            }
            var time = capture.Header.Timeval;
            evidence.Add((long)time.Seconds * 1_000_000 + (long)time.MicroSeconds, capture.Data);
        }
        return evidence;
    }

    /// <summary>Judges one packet (bare IP, as in a LINKTYPE_RAW capture) seen at <paramref name="timeMicros"/>.
    /// Packets must come in capture order.</summary>
    public void Add(long timeMicros, ReadOnlySpan<byte> packet)
    {
        if (packet.Length == 0 || (packet[0] >> 4) is not (4 or 6))
        {
            OtherPackets++;
            return;
        }
        IPPacket? ip;
        try
        {
            // LINKTYPE_RAW parses as a RawIPPacket whose payload is the IPv4 or IPv6 packet.
            ip = Packet.ParsePacket(LinkLayers.Raw, packet.ToArray()).Extract<IPPacket>();
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidCastException or NullReferenceException)
        {
            OtherPackets++;
            return;
        }
        if (ip?.PayloadPacket is not TcpPacket tcp)
        {
            OtherPackets++;
            return;
        }
        // Lengths from the IP header itself (RFC 791 §3.1 IHL and Total Length; RFC 8200 §3 Payload Length),
        // not from the bytes captured.
        bool v4 = packet[0] >> 4 == 4;
        int ipHeader = v4 ? (packet[0] & 0x0f) * 4 : 40;
        int ipLength = v4 ? (packet[2] << 8) | packet[3] : ((packet[4] << 8) | packet[5]) + 40;
        int tcpHeader = tcp.DataOffset * 4;
        int payload = Math.Max(0, ipLength - ipHeader - tcpHeader);
        var segment = new Segment(timeMicros, tcp.SequenceNumber, tcp.AcknowledgmentNumber, payload,
            tcp.Synchronize, tcp.Acknowledgment, tcp.Finished, tcp.Reset);

        var key = new FlowKey(ip.SourceAddress, tcp.SourcePort, ip.DestinationAddress, tcp.DestinationPort);
        var connection = Find(key, segment, out bool fromInitiator);
        var direction = fromInitiator ? Up : Down;
        direction.Packets++;
        direction.Bytes += ipLength;
        direction.HeaderBytes += ipHeader + tcpHeader;
        direction.PayloadBytes += payload;
        if (connection is null) return;

        var sender = fromInitiator ? connection.Initiator : connection.Responder;
        var receiver = fromInitiator ? connection.Responder : connection.Initiator;
        connection.LastReceived(receiver, timeMicros);
        if (segment.Ack) receiver.OnAck(segment);
        sender.OnSend(segment, connection, direction, this);
    }

    private Connection? Find(FlowKey key, Segment segment, out bool fromInitiator)
    {
        fromInitiator = true;
        if (_connections.TryGetValue(key, out var forward) && !IsNewSyn(forward, segment)) return forward;
        if (_connections.TryGetValue(key.Reverse(), out var reverse))
        {
            fromInitiator = false;
            return reverse;
        }
        if (segment.Syn && !segment.Ack)
        {
            // A first SYN, or a SYN with a new initial sequence number on a reused port pair: a new connection.
            var connection = new Connection(segment);
            _connections[key] = connection;
            _connections.Remove(key.Reverse());
            Connections++;
            return connection;
        }
        return null; // a connection that began before the capture: counted, not judged
    }

    private static bool IsNewSyn(Connection connection, Segment segment) =>
        segment.Syn && !segment.Ack && segment.Seq != connection.Initiator.InitialSequence;

    internal void CountSynRetransmission(Connection connection, long timeMicros)
    {
        SynRetransmissions++;
        SynWaitMs += (timeMicros - connection.LastSynMicros) / 1000.0;
        connection.LastSynMicros = timeMicros;
    }

    private readonly record struct FlowKey(System.Net.IPAddress Source, ushort SourcePort, System.Net.IPAddress Destination, ushort DestinationPort)
    {
        public FlowKey Reverse() => new(Destination, DestinationPort, Source, SourcePort);
    }

    internal readonly record struct Segment(long Time, uint Seq, uint AckNumber, int Payload, bool Syn, bool Ack, bool Fin, bool Rst)
    {
        /// <summary>Sequence space the segment takes (RFC 793 §3.3: SYN and FIN count one each).</summary>
        public int Length => Payload + (Syn ? 1 : 0) + (Fin ? 1 : 0);
    }

    internal sealed class Connection
    {
        public Connection(Segment syn)
        {
            Initiator = new Sender(syn.Seq);
            Responder = new Sender(null);
            LastSynMicros = syn.Time;
        }

        public Sender Initiator { get; }
        public Sender Responder { get; }
        public long LastSynMicros { get; set; }

        private long _initiatorReceived, _responderReceived;

        /// <summary>Notes when <paramref name="receiver"/> last received anything (the latest packet towards it).</summary>
        public void LastReceived(Sender receiver, long time)
        {
            if (receiver == Initiator) _initiatorReceived = time;
            else _responderReceived = time;
        }

        public long LastReceivedBy(Sender sender) => sender == Initiator ? _initiatorReceived : _responderReceived;
    }

    /// <summary>One side's sending state, as the capture shows it.</summary>
    internal sealed class Sender(uint? initialSequence)
    {
        public uint? InitialSequence { get; private set; } = initialSequence;
        private bool _sent;
        private uint _highest;        // highest sequence number sent + 1 (snd_max)
        private bool _acked;
        private uint _unacknowledged; // highest cumulative ACK received (snd_una)
        private int _duplicateAcks;   // duplicate ACKs for _unacknowledged
        private bool _inRecovery;
        private uint _recoveryPoint;

        /// <summary>An ACK from the other side, acknowledging this side's data.</summary>
        public void OnAck(Segment ack)
        {
            if (!_acked || After(ack.AckNumber, _unacknowledged))
            {
                _acked = true;
                _unacknowledged = ack.AckNumber;
                _duplicateAcks = 0;
                if (_inRecovery && !Before(_unacknowledged, _recoveryPoint)) _inRecovery = false;
                return;
            }
            if (ack.AckNumber == _unacknowledged && ack.Length == 0 && !ack.Rst && _sent && Before(_unacknowledged, _highest))
            {
                _duplicateAcks++;
            }
        }

        public void OnSend(Segment segment, Connection connection, DirectionEvidence direction, TcpEvidence evidence)
        {
            if (segment.Syn && InitialSequence is null) InitialSequence = segment.Seq; // the responder's SYN-ACK
            if (segment.Length == 0 || segment.Rst) return;
            uint end = segment.Seq + (uint)segment.Length;
            if (!_sent)
            {
                _sent = true;
                _highest = end;
                return;
            }
            bool keepAlive = segment.Length == 1 && !segment.Syn && !segment.Fin && segment.Seq + 1 == _highest;
            if (Before(segment.Seq, _highest) && !keepAlive)
            {
                direction.RetransmittedSegments++;
                if (segment.Syn)
                {
                    // The handshake is not a loss recovery of data; a lost SYN (or SYN-ACK) shows as the client's SYN sent again.
                    if (!segment.Ack) evidence.CountSynRetransmission(connection, segment.Time);
                }
                else
                {
                    var trigger = Judge(segment, connection);
                    if (!_inRecovery || trigger == RecoveryTrigger.Timeout)
                    {
                        _inRecovery = true;
                        _recoveryPoint = _highest;
                        switch (trigger)
                        {
                            case RecoveryTrigger.Fast: direction.RecoveriesFast++; break;
                            case RecoveryTrigger.Timeout: direction.RecoveriesTimeout++; break;
                            default: direction.RecoveriesOther++; break;
                        }
                    }
                }
            }
            if (After(end, _highest)) _highest = end;
        }

        private RecoveryTrigger Judge(Segment segment, Connection connection)
        {
            if (_acked && segment.Seq == _unacknowledged && _duplicateAcks >= DuplicateAckThreshold) return RecoveryTrigger.Fast;
            long lastHeard = connection.LastReceivedBy(this);
            if (lastHeard == 0) lastHeard = connection.LastSynMicros;
            return segment.Time - lastHeard >= MinimumRtoMicros ? RecoveryTrigger.Timeout : RecoveryTrigger.Other;
        }

        // Sequence number comparisons modulo 2^32 (RFC 793 §3.3).
        private static bool Before(uint a, uint b) => (int)(a - b) < 0;
        private static bool After(uint a, uint b) => (int)(a - b) > 0;
    }
}
