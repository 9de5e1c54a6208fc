using System.Globalization;
using System.Text;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// Does running worlds in parallel distort page load times? The same trials (same sites, configurations
/// and paired loss seeds) run at each parallelism level, the levels interleaved in rounds of a few run
/// indices (serial, then 4 at a time, then 8, then serial again, ...) so that the machine's changing
/// load falls on every level alike. Each level's copy of a trial has its own key (suffix "|j=N"), so
/// all levels live in one database and a resumed check skips what it did.
/// </summary>
public static class ParallelCheck
{
    public const string KeySuffix = "|j=";

    /// <summary>The rounds to run in order: (level, trials); every trial of the plan appears once per level.</summary>
    public static List<(int Level, List<PlannedTrial> Trials)> Rounds(IReadOnlyList<PlannedTrial> plan, IReadOnlyList<int> levels)
    {
        var runIndices = plan.Select(t => t.RunIndex).Distinct().Order().ToList();
        if (runIndices.Count == 0) return [];
        // A round holds enough trials to keep the widest level busy: at least three times its width.
        int trialsPerRun = Math.Max(1, plan.Count / runIndices.Count);
        int runsPerRound = Math.Clamp((int)Math.Ceiling(3.0 * levels.Max() / trialsPerRun), 1, runIndices.Count);
        var rounds = new List<(int, List<PlannedTrial>)>();
        for (int start = 0; start < runIndices.Count; start += runsPerRound)
        {
            var runs = runIndices.Skip(start).Take(runsPerRound).ToHashSet();
            var trials = plan.Where(t => runs.Contains(t.RunIndex)).ToList();
            foreach (var level in levels)
            {
                rounds.Add((level, trials.Select(t => t with { Key = t.Key + KeySuffix + level.ToString(CultureInfo.InvariantCulture) }).ToList()));
            }
        }
        return rounds;
    }

    /// <summary>The level a row was run at (from its key), or null for rows of an ordinary run.</summary>
    public static int? LevelOf(TrialRecord record)
    {
        int at = record.TrialKey.LastIndexOf(KeySuffix, StringComparison.Ordinal);
        return at >= 0 && int.TryParse(record.TrialKey.AsSpan(at + KeySuffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var level)
            ? level : null;
    }

    /// <summary>
    /// Median PLT per site, configuration and condition at each level side by side, each level's change
    /// against the first (serial) level, and the median of those changes over all rows. Only rows with
    /// an ok trial at every level count.
    /// </summary>
    public static string Render(IReadOnlyList<TrialRecord> rows, IReadOnlyList<int> levels, IReadOnlyDictionary<int, string>? machineByLevel = null)
    {
        var ok = rows.Where(r => r.IsOk && r.PltMs is not null && LevelOf(r) is not null).ToList();
        var groups = ok.GroupBy(r => (r.Site, Configuration: ConfigurationName(r), Condition: $"{r.Link} rtt {r.RttMs:0.#} ms loss {r.Loss * 100:0.##}%"))
            .OrderBy(g => g.Key.Condition, StringComparer.Ordinal).ThenBy(g => g.Key.Site, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Configuration, StringComparer.Ordinal)
            .ToList();
        var text = new StringBuilder();
        var header = "| site | configuration | condition | " + string.Join(" | ", levels.Select(l => $"-j {l} median ms (n)")) +
                     (levels.Count > 1 ? " | " + string.Join(" | ", levels.Skip(1).Select(l => $"-j {l} vs -j {levels[0]}")) : "") + " |";
        text.AppendLine(header);
        text.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", header.Count(c => c == '|') - 1)));
        var changes = levels.Skip(1).ToDictionary(l => l, _ => new List<double>());
        foreach (var group in groups)
        {
            var medians = new Dictionary<int, (double Median, int N)>();
            foreach (var level in levels)
            {
                var values = group.Where(r => LevelOf(r) == level).Select(r => r.PltMs!.Value).ToList();
                if (values.Count > 0) medians[level] = (Median(values), values.Count);
            }
            if (medians.Count != levels.Count) continue;
            var cells = levels.Select(l => string.Create(CultureInfo.InvariantCulture, $"{medians[l].Median:0} ({medians[l].N})"));
            var deltas = levels.Skip(1).Select(l =>
            {
                var change = medians[l].Median / medians[levels[0]].Median - 1;
                changes[l].Add(change);
                return string.Create(CultureInfo.InvariantCulture, $"{change * 100:+0.0;-0.0}%");
            });
            text.AppendLine($"| {group.Key.Site} | {group.Key.Configuration} | {group.Key.Condition} | {string.Join(" | ", cells)}" +
                            (levels.Count > 1 ? $" | {string.Join(" | ", deltas)}" : "") + " |");
        }
        text.AppendLine();
        foreach (var level in levels.Skip(1))
        {
            var list = changes[level];
            if (list.Count == 0) continue;
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"-j {level} against -j {levels[0]}: median change {Median(list) * 100:+0.0;-0.0}%, mean {list.Average() * 100:+0.0;-0.0}%, " +
                $"largest {list.MaxBy(Math.Abs) * 100:+0.0;-0.0}% over {list.Count} site/configuration rows"));
        }
        if (machineByLevel is not null)
        {
            foreach (var level in levels)
            {
                if (machineByLevel.TryGetValue(level, out var machine)) text.AppendLine($"-j {level}: {machine}");
            }
        }
        return text.ToString();
    }

    private static string ConfigurationName(TrialRecord r)
    {
        var name = r.Protocol == "http/1.1" ? "HTTP" : r.Protocol.ToUpperInvariant() + (r.DomainMode == "single" ? " single" : " multi");
        if (r.Feature != "none") name += " +" + r.Feature;
        if (r.Transport == "tls") name += " (SSL)";
        return name;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
