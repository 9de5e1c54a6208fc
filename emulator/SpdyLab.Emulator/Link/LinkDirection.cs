namespace SpdyLab.Emulator.Link;

/// <summary>Counters of one link direction. Written by its ferry thread; read after it stopped
/// (or, slightly stale, while it runs).</summary>
public sealed class LinkCounters
{
    public long PacketsIn;
    public long BytesIn;
    public long PacketsOut;
    public long BytesOut;
    public long LossDrops;
    public long QueueDrops;
    public long WriteDrops;

    /// <summary>Packets larger than the ferry's buffers (a raised MTU), dropped before entering the link
    /// (not in <see cref="PacketsIn"/>).</summary>
    public long OversizeDrops;
    public long MaxPacketBytes;

    /// <summary>Time packets waited in the rate stage's queue before their transmission began.</summary>
    public LatencyHistogram QueueDelay { get; } = new();

    public long Drops(DropCause cause) => cause switch
    {
        DropCause.Loss => LossDrops,
        DropCause.Queue => QueueDrops,
        _ => WriteDrops,
    };

    public override string ToString() =>
        $"in {PacketsIn} pkt / {BytesIn} B, out {PacketsOut} pkt / {BytesOut} B, " +
        $"dropped: loss {LossDrops}, queue {QueueDrops}, write {WriteDrops}, oversize {OversizeDrops}; " +
        $"queueing delay p50 {Ms(QueueDelay.Percentile(0.5))} p95 {Ms(QueueDelay.Percentile(0.95))} " +
        $"p99 {Ms(QueueDelay.Percentile(0.99))} max {Ms(QueueDelay.Max)} ms";

    private static string Ms(long us) => (us / 1000.0).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// One direction of the link: a chain of stages (loss -> queue+rate -> delay). Packets are pumped from
/// stage to stage at their exact virtual departure times, then handed to the deliverer.
/// </summary>
public sealed class LinkDirection
{
    private readonly IPacketStage[] _stages;

    public LinkDirection(string name, IEnumerable<IPacketStage> stages)
    {
        Name = name;
        _stages = stages.ToArray();
        if (_stages.Length == 0) _stages = [new DelayStage(0)];
    }

    public string Name { get; }

    public IReadOnlyList<IPacketStage> Stages => _stages;

    public LinkCounters Counters { get; } = new();

    /// <summary>Called with every packet the link drops (to return it to its pool).</summary>
    public Action<Packet, DropCause>? Dropped { get; set; }

    /// <summary>Builds the stages <paramref name="spec"/> describes, with its own seeded generator.</summary>
    public static LinkDirection Build(string name, DirectionSpec spec, ulong seed)
    {
        var stages = new List<IPacketStage>();
        var random = new SeededRandom(SeededRandom.Derive(seed, name));
        if (spec.Loss.CreateModel(random) is { } model) stages.Add(new LossStage(model));
        if (spec.Trace is { } trace) stages.Add(new TraceRateStage(trace, spec.EffectiveQueue));
        else if (spec.RateBitsPerSecond is { } rate) stages.Add(new ConstantRateStage(rate, spec.EffectiveQueue));
        stages.Add(new DelayStage(spec.DelayMicroseconds));
        return new LinkDirection(name, stages);
    }

    /// <summary>A packet enters the link at <paramref name="now"/>. False when it was dropped at once.</summary>
    public bool Enqueue(Packet packet, long now)
    {
        var counters = Counters;
        counters.PacketsIn++;
        counters.BytesIn += packet.Length;
        if (packet.Length > counters.MaxPacketBytes) counters.MaxPacketBytes = packet.Length;
        if (_stages[0].Enqueue(packet, now)) return true;
        Drop(packet, _stages[0].DropCause);
        return false;
    }

    /// <summary>Moves every packet due by <paramref name="now"/> along the chain; the ones leaving the
    /// last stage go to <paramref name="deliver"/> in order. Returns how many were delivered.</summary>
    public int Pump(long now, Action<Packet> deliver)
    {
        for (int i = 0; i < _stages.Length - 1; i++)
        {
            var current = _stages[i];
            var next = _stages[i + 1];
            bool isRateStage = current is ConstantRateStage or TraceRateStage;
            while (current.TryDequeue(now, out var packet))
            {
                if (isRateStage) Counters.QueueDelay.Record(packet.QueueDelay);
                if (!next.Enqueue(packet, packet.Time)) Drop(packet, next.DropCause);
            }
        }
        int delivered = 0;
        var last = _stages[^1];
        while (last.TryDequeue(now, out var packet))
        {
            Counters.PacketsOut++;
            Counters.BytesOut += packet.Length;
            delivered++;
            deliver(packet);
        }
        return delivered;
    }

    /// <summary>Earliest time any stage has something to move, or <see cref="long.MaxValue"/>.</summary>
    public long NextEventTime
    {
        get
        {
            long next = long.MaxValue;
            foreach (var stage in _stages) next = Math.Min(next, stage.NextEventTime);
            return next;
        }
    }

    /// <summary>A delivered packet could not be written to the far end: it did not get out after all.</summary>
    internal void CountWriteDrop(Packet packet)
    {
        Counters.PacketsOut--;
        Counters.BytesOut -= packet.Length;
        Drop(packet, DropCause.Write);
    }

    /// <summary>The ferry held too many packets: this arrival is dropped as a queue drop.</summary>
    internal void CountHeldLimitDrop(Packet packet)
    {
        Counters.PacketsIn++;
        Counters.BytesIn += packet.Length;
        Drop(packet, DropCause.Queue);
    }

    private void Drop(Packet packet, DropCause cause)
    {
        switch (cause)
        {
            case DropCause.Loss: Counters.LossDrops++; break;
            case DropCause.Queue: Counters.QueueDrops++; break;
            default: Counters.WriteDrops++; break;
        }
        Dropped?.Invoke(packet, cause);
    }
}
