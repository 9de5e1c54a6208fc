namespace SpdyLab.Emulator.Link;

/// <summary>
/// A link of constant bit rate behind a drop-tail queue: a packet of L bytes takes L*8/rate seconds to
/// serialize, starting when it arrives or when the previous packet has left, whichever is later.
/// Rates count IP bytes (the TUN device carries bare IP packets), so TCP's goodput ceiling over a
/// 1500-byte MTU is 1448/1500 of the rate, as on Mahimahi.
/// Times inside are kept in picoseconds so odd sizes and rates do not accumulate rounding drift;
/// departures are reported rounded up to the next microsecond.
/// </summary>
public sealed class ConstantRateStage : IPacketStage
{
    private const long PicosPerMicro = 1_000_000;
    private const long PicosPerSecond = 1_000_000_000_000;
    private readonly DropTailQueue _queue;
    private long _linkFreeAtPs;   // when the link finished (or will finish) the last started packet
    private long _headFinishPs;   // when the head packet's transmission ends

    public ConstantRateStage(long bitsPerSecond, QueueLimit limit)
    {
        if (bitsPerSecond <= 0) throw new ArgumentOutOfRangeException(nameof(bitsPerSecond), "a rate must be positive");
        BitsPerSecond = bitsPerSecond;
        _queue = new DropTailQueue(limit);
    }

    public long BitsPerSecond { get; }

    public QueueLimit Limit => _queue.Limit;

    public int QueuedPackets => _queue.Count;

    public long QueuedBytes => _queue.Bytes;

    public DropCause DropCause => DropCause.Queue;

    /// <summary>Serialization time of <paramref name="bytes"/> bytes in picoseconds.</summary>
    public long SerializationPicoseconds(int bytes) => (long)((Int128)bytes * 8 * PicosPerSecond / BitsPerSecond);

    public bool Enqueue(Packet packet, long now)
    {
        if (!_queue.TryAdd(packet)) return false;
        packet.EnqueuedAt = now;
        if (_queue.Count == 1) StartHead(now);
        return true;
    }

    public bool TryDequeue(long now, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Packet packet)
    {
        if (_queue.Count == 0 || CeilMicros(_headFinishPs) > now)
        {
            packet = null;
            return false;
        }
        packet = _queue.Take();
        packet.Time = CeilMicros(_headFinishPs);
        _linkFreeAtPs = _headFinishPs;
        if (_queue.Count > 0) StartHead(_queue.Head.EnqueuedAt);
        return true;
    }

    public long NextEventTime => _queue.Count > 0 ? CeilMicros(_headFinishPs) : long.MaxValue;

    private void StartHead(long arrivedAt)
    {
        var head = _queue.Head;
        long startPs = Math.Max(arrivedAt * PicosPerMicro, _linkFreeAtPs);
        head.QueueDelay = startPs / PicosPerMicro - arrivedAt;
        _headFinishPs = startPs + SerializationPicoseconds(head.Length);
    }

    private static long CeilMicros(long picoseconds) => (picoseconds + PicosPerMicro - 1) / PicosPerMicro;
}
