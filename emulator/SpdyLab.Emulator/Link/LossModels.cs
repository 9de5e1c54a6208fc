namespace SpdyLab.Emulator.Link;

/// <summary>Decides, packet by packet, whether the link loses it.</summary>
public interface ILossModel
{
    bool NextIsLost();
}

/// <summary>Independent losses: each packet is lost with probability <see cref="Probability"/>.</summary>
public sealed class BernoulliLoss(double probability, SeededRandom random) : ILossModel
{
    public double Probability { get; } = probability is >= 0 and <= 1
        ? probability : throw new ArgumentOutOfRangeException(nameof(probability), "a probability is between 0 and 1");

    public bool NextIsLost() => Probability > 0 && random.NextDouble() < Probability;
}

/// <summary>
/// Bursty losses (Gilbert-Elliott): a two-state Markov chain evaluated once per packet. In Good the
/// packet is lost with <see cref="LossInGood"/>, in Bad with <see cref="LossInBad"/>; after each packet
/// the chain moves Good->Bad with probability <see cref="P"/> and Bad->Good with <see cref="R"/>.
/// (Classical notation: h = 1 - LossInBad, k = 1 - LossInGood; netem's "gemodel p r 1-h 1-k".)
/// Mean loss = (R*LossInGood + P*LossInBad) / (P + R); mean burst (Bad sojourn) = 1/R packets.
/// </summary>
public sealed class GilbertElliottLoss(double p, double r, double lossInBad, double lossInGood, SeededRandom random) : ILossModel
{
    private bool _bad;

    public double P { get; } = p;
    public double R { get; } = r;
    public double LossInBad { get; } = lossInBad;
    public double LossInGood { get; } = lossInGood;

    public double MeanLoss => P + R == 0 ? LossInGood : (R * LossInGood + P * LossInBad) / (P + R);

    public bool NextIsLost()
    {
        double lossProbability = _bad ? LossInBad : LossInGood;
        bool lost = lossProbability > 0 && random.NextDouble() < lossProbability;
        double move = _bad ? R : P;
        if (move > 0 && random.NextDouble() < move) _bad = !_bad;
        return lost;
    }
}

/// <summary>The loss stage: drops what its model says, passes the rest on at once.</summary>
public sealed class LossStage(ILossModel model) : IPacketStage
{
    private readonly Queue<Packet> _passed = new();

    public ILossModel Model { get; } = model;

    public DropCause DropCause => DropCause.Loss;

    public bool Enqueue(Packet packet, long now)
    {
        if (Model.NextIsLost()) return false;
        packet.Time = now;
        _passed.Enqueue(packet);
        return true;
    }

    public bool TryDequeue(long now, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Packet packet)
    {
        if (_passed.TryPeek(out packet) && packet.Time <= now) return _passed.TryDequeue(out packet);
        packet = null;
        return false;
    }

    public long NextEventTime => _passed.TryPeek(out var head) ? head.Time : long.MaxValue;
}
