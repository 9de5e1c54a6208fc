namespace SpdyLab.Emulator.Link;

/// <summary>
/// A link whose capacity follows a <see cref="MahimahiTrace"/>, behind a drop-tail queue. At each
/// delivery opportunity up to 1500 bytes leave: whole packets while they fit, and a packet larger than
/// what is left of the opportunity carries its remainder over to the next ones (as Mahimahi does).
/// Opportunities that find the queue empty are wasted.
/// </summary>
public sealed class TraceRateStage : IPacketStage
{
    private readonly long[] _opportunitiesUs;
    private readonly long _periodUs;
    private readonly DropTailQueue _queue;
    private readonly Queue<Packet> _delivered = new();
    private long _cursor;          // index of the next unused opportunity, counted across loops
    private int _headBytesLeft;    // bytes of the head packet not yet delivered

    public TraceRateStage(MahimahiTrace trace, QueueLimit limit)
    {
        Trace = trace;
        _opportunitiesUs = trace.OpportunitiesMs.Select(ms => ms * 1000).ToArray();
        _periodUs = trace.PeriodMs * 1000;
        _queue = new DropTailQueue(limit);
    }

    public MahimahiTrace Trace { get; }

    public QueueLimit Limit => _queue.Limit;

    public int QueuedPackets => _queue.Count;

    public DropCause DropCause => DropCause.Queue;

    public bool Enqueue(Packet packet, long now)
    {
        // Use up every opportunity strictly before now with the packets already queued, so the new
        // packet cannot travel in an opportunity that passed before it arrived.
        Advance(now - 1);
        if (!_queue.TryAdd(packet)) return false;
        packet.EnqueuedAt = now;
        packet.QueueDelay = 0;
        if (_queue.Count == 1)
        {
            _headBytesLeft = packet.Length;
            SkipTo(now);
        }
        return true;
    }

    public bool TryDequeue(long now, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Packet packet)
    {
        Advance(now);
        return _delivered.TryDequeue(out packet);
    }

    public long NextEventTime =>
        _delivered.TryPeek(out var ready) ? ready.Time
        : _queue.Count > 0 ? OpportunityTime(_cursor)
        : long.MaxValue;

    private long OpportunityTime(long index)
    {
        long loop = index / _opportunitiesUs.Length;
        return loop * _periodUs + _opportunitiesUs[index % _opportunitiesUs.Length];
    }

    /// <summary>Moves the cursor to the first opportunity at or after <paramref name="time"/> (never backwards).</summary>
    private void SkipTo(long time)
    {
        if (OpportunityTime(_cursor) >= time) return;
        long loop = time / _periodUs;
        long offset = time - loop * _periodUs;
        int index = Array.BinarySearch(_opportunitiesUs, offset);
        if (index < 0) index = ~index;
        else while (index > 0 && _opportunitiesUs[index - 1] == offset) index--;
        long candidate = loop * _opportunitiesUs.Length + index; // index may equal Length: first of the next loop
        _cursor = Math.Max(_cursor, candidate);
    }

    private void Advance(long now)
    {
        while (_queue.Count > 0 && OpportunityTime(_cursor) <= now)
        {
            long at = OpportunityTime(_cursor);
            int budget = MahimahiTrace.OpportunityBytes;
            while (budget > 0 && _queue.Count > 0)
            {
                if (_headBytesLeft <= budget)
                {
                    budget -= _headBytesLeft;
                    var packet = _queue.Take();
                    packet.Time = at;
                    _delivered.Enqueue(packet);
                    if (_queue.Count > 0)
                    {
                        _headBytesLeft = _queue.Head.Length;
                        _queue.Head.QueueDelay = Math.Max(0, at - _queue.Head.EnqueuedAt);
                    }
                }
                else
                {
                    _headBytesLeft -= budget;
                    budget = 0;
                }
            }
            _cursor++;
        }
    }
}
