using System.Globalization;
using System.Text;
using SpdyLab.Emulator.Link;
using SpdyLab.Results;

namespace SpdyLab.Lab.Experiments;

/// <summary>The network a trial runs on: a link with one RTT, one loss rate, a loss model and a queue.</summary>
public sealed record LinkCondition(LinkProfile Link, double RttMs, double Loss, string LossModel, string? Queue)
{
    private static string Ms(double ms) => ms.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
    private static string Pct(double fraction) => (fraction * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    public string Describe() => $"{Link.Name} rtt {Ms(RttMs)} loss {Pct(Loss)}";

    /// <summary>The emulator's link options for this condition and a seed.</summary>
    public LinkOptions ToLinkOptions(ulong seed) => new()
    {
        Down = Link.DownTrace is null && Link.DownBps is { } d ? LinkValues.FormatRate(d) : null,
        Up = Link.UpTrace is null && Link.UpBps is { } u ? LinkValues.FormatRate(u) : null,
        DownTrace = Link.DownTrace,
        UpTrace = Link.UpTrace,
        Rtt = Ms(RttMs),
        Loss = Loss > 0 ? Pct(Loss) : null,
        LossModel = Loss > 0 && LossModel != "bernoulli" ? LossModel : null,
        Queue = Queue,
        Seed = seed.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>One page load the experiment asks for: where it stands in the design, its link, its configuration, its seed.</summary>
public sealed record PlannedTrial(
    string Key, string Experiment, string Design, int BlockIndex, LinkCondition Condition, Configuration Configuration,
    string Site, int RunIndex, ulong Seed, string Client)
{
    /// <summary>The row this trial will write, identity and parameters filled in, metrics empty.</summary>
    public TrialRecord ToRecord() => new()
    {
        Experiment = Experiment,
        TrialKey = Key,
        Design = Design,
        Site = Site,
        RunIndex = RunIndex,
        Seed = (long)Seed,
        Link = Condition.Link.Name,
        DownBps = Condition.Link.DownBps ?? 0,
        UpBps = Condition.Link.UpBps ?? 0,
        RttMs = Condition.RttMs,
        Loss = Condition.Loss,
        LossModel = Condition.LossModel,
        Queue = Condition.Queue ?? "default",
        Protocol = Configuration.Protocol,
        Transport = Configuration.Transport,
        DomainMode = Configuration.DomainMode,
        Feature = Configuration.Feature,
        Client = Client,
    };

    public override string ToString() => $"{Design} {Site} run {RunIndex} {Condition.Describe()} {Configuration.DisplayName}";
}

/// <summary>
/// Expands an experiment into its trials, in the order they should run.
/// <list type="bullet">
/// <item>Paired design: a trial's loss seed depends only on the base seed, the site and the run index, so
/// within a run every configuration (HTTP, SPDY, ...) meets the same loss pattern on the same site.</item>
/// <item>Order: run index outermost (stopping early leaves whole runs); within a run, blocks of
/// (design, link condition, site) in a seeded random order, and the configurations of each block in a
/// seeded random order too, so drift (a busy machine, a warming cache) spreads over every configuration
/// instead of favouring the one that always goes first. Paired trials stay close in time.</item>
/// </list>
/// </summary>
public static class ExperimentMatrix
{
    /// <param name="allSites">The corpus's sites, for experiments (or blocks) that say "sites: all".</param>
    public static IReadOnlyList<PlannedTrial> Expand(Experiment experiment, Func<IReadOnlyList<string>> allSites)
    {
        IReadOnlyList<string>? corpus = null;
        IReadOnlyList<string> SitesOf(DesignBlock block) => block.Sites ?? experiment.Sites ?? (corpus ??= allSites());

        // Blocks of paired trials: (design block, condition, site) with their configurations.
        var byRun = new SortedDictionary<int, List<List<PlannedTrial>>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int b = 0; b < experiment.Designs.Count; b++)
        {
            var block = experiment.Designs[b];
            int runs = block.Runs ?? experiment.Runs;
            foreach (var condition in Conditions(experiment, block))
            {
                foreach (var site in SitesOf(block))
                {
                    for (int run = 0; run < runs; run++)
                    {
                        ulong seed = TrialSeed(experiment.Seed, site, run);
                        var group = new List<PlannedTrial>();
                        foreach (var configuration in block.Configurations)
                        {
                            var trial = new PlannedTrial("", experiment.Name, block.Design, b, condition, configuration, site, run, seed, configuration.Client ?? experiment.Client);
                            trial = trial with { Key = trial.ToRecord().DefaultKey() };
                            // The same trial reached twice (a link listed twice, or two blocks of one design
                            // that overlap) runs once.
                            if (keys.Add(trial.Key)) group.Add(trial);
                        }
                        if (group.Count == 0) continue;
                        if (!byRun.TryGetValue(run, out var groups)) byRun[run] = groups = [];
                        groups.Add(group);
                    }
                }
            }
        }

        var ordered = new List<PlannedTrial>();
        foreach (var (run, groups) in byRun)
        {
            var random = new SplitMix64(Mix(experiment.Seed, "order", run.ToString(CultureInfo.InvariantCulture)));
            Shuffle(groups, random);
            foreach (var group in groups)
            {
                Shuffle(group, random);
                ordered.AddRange(group);
            }
        }
        return ordered;
    }

    public static IEnumerable<LinkCondition> Conditions(Experiment experiment, DesignBlock block)
    {
        foreach (var link in block.Links)
        {
            IReadOnlyList<double> rtts = block.RttsMs.Count > 0 ? block.RttsMs : [link.RttMs ?? experiment.RttMs];
            foreach (var rtt in rtts)
            {
                foreach (var loss in block.Losses)
                {
                    yield return new LinkCondition(link, rtt, loss, block.LossModel, block.Queue);
                }
            }
        }
    }

    /// <summary>The loss seed of every trial of one site and run index: the same for every configuration (paired design).</summary>
    public static ulong TrialSeed(ulong baseSeed, string site, int runIndex) =>
        // Kept below 2^63 so it is stored in SQLite's signed INTEGER as the same number.
        Mix(baseSeed, "loss", site, runIndex.ToString(CultureInfo.InvariantCulture)) & long.MaxValue;

    /// <summary>A stable hash of the base seed and some words (FNV-1a, then SplitMix64's finalizer).</summary>
    public static ulong Mix(ulong seed, params string[] parts)
    {
        ulong hash = 14695981039346656037UL ^ seed;
        foreach (var b in Encoding.UTF8.GetBytes(string.Join('\u001f', parts)))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return SplitMix64.Finalize(hash ^ seed);
    }

    private static void Shuffle<T>(List<T> items, SplitMix64 random)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = (int)(random.Next() % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A tiny generator whose sequence is fixed forever (unlike System.Random's), so an order can be reproduced.</summary>
    private sealed class SplitMix64(ulong state)
    {
        public ulong Next() => Finalize(state += 0x9E3779B97F4A7C15UL);

        public static ulong Finalize(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
