namespace SpdyLab.Emulator.Link;

/// <summary>Why a packet did not make it across the link.</summary>
public enum DropCause
{
    /// <summary>The loss model chose to lose it.</summary>
    Loss,

    /// <summary>The drop-tail queue in front of the rate stage was full.</summary>
    Queue,

    /// <summary>Writing it to the far end's TUN device failed (device gone during teardown).</summary>
    Write,
}

/// <summary>
/// One stage of a link direction, in the manner of Mahimahi's queues: time is passed in (microseconds,
/// monotonic), so a stage is a pure function of its inputs and is unit-tested on virtual time.
/// Packets must be enqueued in nondecreasing time order.
/// </summary>
public interface IPacketStage
{
    /// <summary>Offers a packet at time <paramref name="now"/>; false when the stage drops it
    /// (the caller still owns it then and counts the drop under <see cref="DropCause"/>).</summary>
    bool Enqueue(Packet packet, long now);

    /// <summary>Takes the next packet whose departure time is at most <paramref name="now"/>;
    /// its <see cref="Packet.Time"/> is set to that exact departure time.</summary>
    bool TryDequeue(long now, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Packet packet);

    /// <summary>Earliest time something can leave this stage, or <see cref="long.MaxValue"/> when empty.</summary>
    long NextEventTime { get; }

    /// <summary>The cause to count when <see cref="Enqueue"/> refuses a packet.</summary>
    DropCause DropCause { get; }
}
