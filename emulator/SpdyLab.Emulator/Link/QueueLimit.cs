namespace SpdyLab.Emulator.Link;

/// <summary>
/// Capacity of a drop-tail queue: a packet count, a byte count, or both (a packet is dropped when
/// taking it would exceed either). Null limits mean "no limit" in that unit.
/// The count includes the packet being transmitted, as in a modem's buffer that frees a slot only
/// once the packet has left.
/// </summary>
public readonly record struct QueueLimit(int? Packets, long? Bytes)
{
    public static QueueLimit Unlimited => new(null, null);

    public bool IsUnlimited => Packets is null && Bytes is null;

    /// <summary>True when a queue holding <paramref name="packets"/> packets and <paramref name="bytes"/>
    /// bytes can take one more packet of <paramref name="length"/> bytes.</summary>
    public bool Admits(int packets, long bytes, int length) =>
        (Packets is not { } p || packets + 1 <= p) && (Bytes is not { } b || bytes + length <= b);

    /// <summary>
    /// The default: the bytes the link sends in <see cref="DefaultQueueTime"/> (250 ms), and never fewer
    /// than 10 full 1500-byte packets. See docs/emulator.md for why.
    /// </summary>
    public static QueueLimit DefaultFor(long bitsPerSecond)
    {
        long bytes = (long)(bitsPerSecond / 8.0 * DefaultQueueTime.TotalSeconds);
        return new QueueLimit(null, Math.Max(bytes, 10 * 1500));
    }

    public static readonly TimeSpan DefaultQueueTime = TimeSpan.FromMilliseconds(250);

    public override string ToString() => IsUnlimited
        ? "unlimited"
        : string.Join(",", new[] { Packets is { } p ? $"{p}pkt" : null, Bytes is { } b ? $"{b}B" : null }.Where(s => s != null));
}

/// <summary>The FIFO that holds packets waiting for (or in) transmission, with its drop-tail limit.</summary>
internal sealed class DropTailQueue(QueueLimit limit)
{
    private readonly Queue<Packet> _packets = new();

    public QueueLimit Limit { get; } = limit;

    public int Count => _packets.Count;

    public long Bytes { get; private set; }

    public bool TryAdd(Packet packet)
    {
        if (!Limit.Admits(_packets.Count, Bytes, packet.Length)) return false;
        _packets.Enqueue(packet);
        Bytes += packet.Length;
        return true;
    }

    public Packet Head => _packets.Peek();

    public Packet Take()
    {
        var packet = _packets.Dequeue();
        Bytes -= packet.Length;
        return packet;
    }
}
