namespace SpdyLab.Emulator.Link;

/// <summary>Propagation delay: every packet leaves exactly <see cref="DelayMicroseconds"/> after it arrived.</summary>
public sealed class DelayStage(long delayMicroseconds) : IPacketStage
{
    private readonly Queue<Packet> _inFlight = new();

    public long DelayMicroseconds { get; } = delayMicroseconds >= 0
        ? delayMicroseconds
        : throw new ArgumentOutOfRangeException(nameof(delayMicroseconds), "a delay cannot be negative");

    public DropCause DropCause => DropCause.Loss; // never drops

    public int Count => _inFlight.Count;

    public bool Enqueue(Packet packet, long now)
    {
        packet.Time = now + DelayMicroseconds;
        _inFlight.Enqueue(packet);
        return true;
    }

    public bool TryDequeue(long now, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Packet packet)
    {
        if (_inFlight.TryPeek(out packet) && packet.Time <= now)
        {
            _inFlight.Dequeue();
            return true;
        }
        packet = null;
        return false;
    }

    public long NextEventTime => _inFlight.TryPeek(out var head) ? head.Time : long.MaxValue;
}
