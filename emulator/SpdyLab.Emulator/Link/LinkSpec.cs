namespace SpdyLab.Emulator.Link;

/// <summary>How a direction loses packets.</summary>
public abstract record LossSpec
{
    public static LossSpec None { get; } = new BernoulliLossSpec(0);

    /// <summary>Long-run fraction of packets lost (0..1).</summary>
    public abstract double MeanLoss { get; }

    /// <summary>The model, or null when it never loses anything.</summary>
    public abstract ILossModel? CreateModel(SeededRandom random);
}

public sealed record BernoulliLossSpec(double Probability) : LossSpec
{
    public override double MeanLoss => Probability;

    public override ILossModel? CreateModel(SeededRandom random) =>
        Probability > 0 ? new BernoulliLoss(Probability, random) : null;

    public override string ToString() => $"bernoulli {Probability * 100:0.###}%";
}

/// <summary>Gilbert-Elliott parameters; see <see cref="GilbertElliottLoss"/>.</summary>
public sealed record GilbertElliottLossSpec(double P, double R, double LossInBad, double LossInGood) : LossSpec
{
    public override double MeanLoss => P + R == 0 ? LossInGood : (R * LossInGood + P * LossInBad) / (P + R);

    public override ILossModel? CreateModel(SeededRandom random) =>
        MeanLoss > 0 ? new GilbertElliottLoss(P, R, LossInBad, LossInGood, random) : null;

    public override string ToString() =>
        $"gilbert-elliott p={P * 100:0.###}% r={R * 100:0.###}% bad={LossInBad * 100:0.###}% good={LossInGood * 100:0.###}% (mean {MeanLoss * 100:0.###}%)";
}

/// <summary>One direction of the emulated link.</summary>
public sealed record DirectionSpec
{
    /// <summary>Constant rate in bits per second (IP bytes), or null for no rate limit.</summary>
    public long? RateBitsPerSecond { get; init; }

    /// <summary>A Mahimahi trace instead of a constant rate.</summary>
    public MahimahiTrace? Trace { get; init; }

    /// <summary>One-way propagation delay.</summary>
    public long DelayMicroseconds { get; init; }

    public LossSpec Loss { get; init; } = LossSpec.None;

    /// <summary>Queue limit; null means the default (<see cref="QueueLimit.DefaultFor"/> of the rate).</summary>
    public QueueLimit? Queue { get; init; }

    public QueueLimit EffectiveQueue =>
        Queue ?? (Trace is { } trace ? QueueLimit.DefaultFor(trace.MeanBitsPerSecond)
            : RateBitsPerSecond is { } rate ? QueueLimit.DefaultFor(rate)
            : QueueLimit.Unlimited);

    public override string ToString()
    {
        string rate = Trace is { } t ? $"trace {Path.GetFileName(t.Source)} (mean {LinkValues.FormatRate(t.MeanBitsPerSecond)})"
            : RateBitsPerSecond is { } r ? LinkValues.FormatRate(r) : "unlimited rate";
        string queue = Trace is null && RateBitsPerSecond is null ? "" : $", queue {EffectiveQueue}";
        return $"{rate}, delay {DelayMicroseconds / 1000.0:0.###} ms, loss {Loss}{queue}";
    }
}

/// <summary>The whole link: what the client receives (down) and sends (up), and the seed of its losses.</summary>
public sealed record LinkSpec
{
    public DirectionSpec Down { get; init; } = new();
    public DirectionSpec Up { get; init; } = new();
    public ulong Seed { get; init; } = 1;

    public override string ToString() => $"down: {Down}; up: {Up}; seed {Seed}";
}
