namespace SpdyLab.Protocol;

/// <summary>Per-session counters. Sent figures are updated by the write loop, received ones by the read loop;
/// reading them from elsewhere gives a recent value.</summary>
public sealed class SpdySessionCounters
{
    internal long streamsOpenedLocally;
    internal long streamsOpenedByPeer;
    internal long streamsRefused;
    internal long resetsSent;
    internal long resetsReceived;
    internal long pushesSent;
    internal long pushesReceived;
    internal long dataBytesSent;
    internal long dataBytesReceived;
    internal long framesSent;
    internal long framesReceived;
    internal long bytesSent;
    internal long bytesReceived;
    internal long pingsAnswered;
    internal Func<long>? headerBytesSentRaw;
    internal Func<long>? headerBytesSentCompressed;
    internal Func<long>? headerBytesReceivedRaw;
    internal Func<long>? headerBytesReceivedCompressed;

    /// <summary>Streams we opened (requests on a client, pushes on a server).</summary>
    public long StreamsOpenedLocally => Volatile.Read(ref streamsOpenedLocally);

    /// <summary>Streams the peer opened and we accepted.</summary>
    public long StreamsOpenedByPeer => Volatile.Read(ref streamsOpenedByPeer);

    /// <summary>Peer streams refused (REFUSED_STREAM, over MAX_CONCURRENT_STREAMS).</summary>
    public long StreamsRefused => Volatile.Read(ref streamsRefused);

    public long ResetsSent => Volatile.Read(ref resetsSent);

    public long ResetsReceived => Volatile.Read(ref resetsReceived);

    public long PushesSent => Volatile.Read(ref pushesSent);

    public long PushesReceived => Volatile.Read(ref pushesReceived);

    /// <summary>DATA payload bytes (without frame headers).</summary>
    public long DataBytesSent => Volatile.Read(ref dataBytesSent);

    public long DataBytesReceived => Volatile.Read(ref dataBytesReceived);

    /// <summary>Uncompressed name/value block bytes sent.</summary>
    public long HeaderBytesSentRaw => headerBytesSentRaw?.Invoke() ?? 0;

    /// <summary>Compressed header-block bytes sent (what went on the wire).</summary>
    public long HeaderBytesSentCompressed => headerBytesSentCompressed?.Invoke() ?? 0;

    public long HeaderBytesReceivedRaw => headerBytesReceivedRaw?.Invoke() ?? 0;

    public long HeaderBytesReceivedCompressed => headerBytesReceivedCompressed?.Invoke() ?? 0;

    public long FramesSent => Volatile.Read(ref framesSent);

    public long FramesReceived => Volatile.Read(ref framesReceived);

    /// <summary>All bytes written to / read from the transport.</summary>
    public long BytesSent => Volatile.Read(ref bytesSent);

    public long BytesReceived => Volatile.Read(ref bytesReceived);

    public long PingsAnswered => Volatile.Read(ref pingsAnswered);

    public override string ToString() =>
        $"streams local={StreamsOpenedLocally} peer={StreamsOpenedByPeer} refused={StreamsRefused} pushes sent={PushesSent} received={PushesReceived} " +
        $"headers sent={HeaderBytesSentRaw}->{HeaderBytesSentCompressed} received={HeaderBytesReceivedCompressed}->{HeaderBytesReceivedRaw} " +
        $"data sent={DataBytesSent} received={DataBytesReceived} frames sent={FramesSent} received={FramesReceived}";
}
