namespace SpdyLab.Emulator.Link;

/// <summary>
/// The link options as the user typed them (null = not given), turned into a <see cref="LinkSpec"/> with
/// one error per mistake naming the option. `spdylab shell` and the lab runner share it.
/// </summary>
public sealed record LinkOptions
{
    public string? Down { get; init; }
    public string? Up { get; init; }
    public string? Rtt { get; init; }
    public string? Loss { get; init; }
    public string? LossDown { get; init; }
    public string? LossUp { get; init; }
    public string? LossModel { get; init; }
    public string? Queue { get; init; }
    public string? DownTrace { get; init; }
    public string? UpTrace { get; init; }
    public string? Seed { get; init; }

    public LinkSpec ToSpec()
    {
        if (Down is not null && DownTrace is not null) throw new LinkOptionException("--down-trace", "give either --down or --down-trace, not both");
        if (Up is not null && UpTrace is not null) throw new LinkOptionException("--up-trace", "give either --up or --up-trace, not both");
        if (Loss is not null && (LossDown is not null || LossUp is not null))
            throw new LinkOptionException("--loss", "give either --loss (both directions) or --loss-down/--loss-up, not both");

        long rtt = Rtt is null ? 0 : LinkValues.ParseDuration("--rtt", Rtt);
        double? loss = Loss is null ? null : LinkValues.ParsePercent("--loss", Loss);
        double? lossDown = LossDown is null ? loss : LinkValues.ParsePercent("--loss-down", LossDown);
        double? lossUp = LossUp is null ? loss : LinkValues.ParsePercent("--loss-up", LossUp);
        QueueLimit? queue = Queue is null ? null : LinkValues.ParseQueue("--queue", Queue);

        ulong seed = 1;
        if (Seed is not null && !ulong.TryParse(Seed, out seed))
            throw new LinkOptionException("--seed", $"'{Seed}' is not a seed; accepted: a whole number from 0 to {ulong.MaxValue}");

        return new LinkSpec
        {
            // The RTT is split evenly; an odd microsecond goes to the downlink.
            Down = Direction(Down, "--down", DownTrace, "--down-trace", rtt - rtt / 2, lossDown, LossDown is null ? "--loss" : "--loss-down", queue),
            Up = Direction(Up, "--up", UpTrace, "--up-trace", rtt / 2, lossUp, LossUp is null ? "--loss" : "--loss-up", queue),
            Seed = seed,
        };
    }

    private DirectionSpec Direction(string? rate, string rateOption, string? trace, string traceOption,
        long delay, double? loss, string lossOption, QueueLimit? queue)
    {
        MahimahiTrace? parsedTrace = null;
        if (trace is not null)
        {
            if (!File.Exists(trace)) throw new LinkOptionException(traceOption, $"'{trace}' does not exist; give a Mahimahi trace file (one millisecond timestamp per line)");
            try { parsedTrace = MahimahiTrace.Load(trace); }
            catch (FormatException e) { throw new LinkOptionException(traceOption, e.Message); }
        }
        var lossSpec = LossModel is null
            ? (loss is { } p ? new BernoulliLossSpec(p) : LossSpec.None)
            : LinkValues.ParseLossModel("--loss-model", LossModel, loss, lossOption);
        return new DirectionSpec
        {
            RateBitsPerSecond = rate is null ? null : LinkValues.ParseRate(rateOption, rate),
            Trace = parsedTrace,
            DelayMicroseconds = delay,
            Loss = lossSpec,
            Queue = queue,
        };
    }
}
