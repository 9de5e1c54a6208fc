namespace SpdyLab.Lab.Experiments;

/// <summary>Command-line adjustments of an experiment file (--runs, --sites, --rtt).</summary>
public sealed record ExperimentOverrides
{
    /// <summary>Runs of every design block (the file's per-block runs included).</summary>
    public int? Runs { get; init; }

    /// <summary>Sites of every design block.</summary>
    public IReadOnlyList<string>? Sites { get; init; }

    /// <summary>The experiment's default RTT (Table 1's, in the whitepaper design); blocks that sweep RTT keep theirs.</summary>
    public double? RttMs { get; init; }

    public Experiment ApplyTo(Experiment experiment) => experiment with
    {
        Runs = Runs ?? experiment.Runs,
        Sites = Sites ?? experiment.Sites,
        RttMs = RttMs ?? experiment.RttMs,
        Designs = experiment.Designs.Select(block => block with
        {
            Runs = Runs ?? block.Runs,
            Sites = Sites ?? block.Sites,
        }).ToList(),
    };
}
