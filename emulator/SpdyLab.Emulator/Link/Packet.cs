namespace SpdyLab.Emulator.Link;

/// <summary>
/// One IP packet crossing the link. Buffers are pooled per direction (see <see cref="PacketPool"/>),
/// so a packet is owned by exactly one stage at a time and returned to its pool when delivered or dropped.
/// </summary>
public sealed class Packet
{
    public Packet(int capacity) => Buffer = new byte[capacity];

    /// <summary>The raw IP packet is Buffer[0..Length).</summary>
    public byte[] Buffer { get; }

    public int Length { get; set; }

    /// <summary>
    /// Virtual time (microseconds) at which the packet left the last stage it went through. The pipeline
    /// enqueues it into the next stage at this time, not at the (later) time the loop happened to run,
    /// so a late wake-up never shifts the emulated schedule.
    /// </summary>
    public long Time { get; set; }

    /// <summary>Time the packet entered the queue of a rate stage (microseconds).</summary>
    public long EnqueuedAt { get; set; }

    /// <summary>Time it waited in a rate stage's queue before its transmission started (microseconds).</summary>
    public long QueueDelay { get; set; }

    public ReadOnlySpan<byte> Data => Buffer.AsSpan(0, Length);

    /// <summary>A packet holding a copy of <paramref name="data"/> (tests, tools).</summary>
    public static Packet FromBytes(ReadOnlySpan<byte> data)
    {
        var packet = new Packet(data.Length);
        data.CopyTo(packet.Buffer);
        packet.Length = data.Length;
        return packet;
    }
}

/// <summary>A free list of packets for one direction; not thread-safe (one ferry thread owns it).</summary>
public sealed class PacketPool(int packetCapacity)
{
    private readonly Stack<Packet> _free = new();

    public int PacketCapacity { get; } = packetCapacity;

    /// <summary>Packets rented and not yet returned.</summary>
    public int Outstanding { get; private set; }

    /// <summary>The most packets ever out at once.</summary>
    public int PeakOutstanding { get; private set; }

    /// <summary>Packets ever allocated (the pool's memory is about this times the capacity).</summary>
    public int Created { get; private set; }

    public Packet Rent()
    {
        if (++Outstanding > PeakOutstanding) PeakOutstanding = Outstanding;
        if (_free.Count > 0) return _free.Pop();
        Created++;
        return new Packet(PacketCapacity);
    }

    public void Return(Packet packet)
    {
        Outstanding--;
        packet.Length = 0;
        if (packet.Buffer.Length == PacketCapacity && _free.Count < 65536) _free.Push(packet);
    }
}
