using System.Diagnostics;

namespace SpdyLab.Protocol.Tests.Fuzzing;

/// <summary>Totals of a run of many cases.</summary>
public sealed class FuzzSummary
{
    public int Executions { get; set; }

    public TimeSpan Elapsed { get; set; }

    public List<FuzzResult> Failures { get; } = [];

    public Dictionary<string, int> Outcomes { get; } = [];

    public Dictionary<FuzzMode, int> Modes { get; } = [];

    public long HeapStart { get; set; }

    public long HeapEnd { get; set; }

    public List<string> Unobserved { get; } = [];

    public override string ToString()
    {
        var lines = new List<string>
        {
            $"{Executions} cases in {Elapsed.TotalSeconds:F1} s ({Executions / Math.Max(0.001, Elapsed.TotalSeconds):F0}/s), {Failures.Count} failed, "
            + $"heap after GC {HeapStart >> 20} MB -> {HeapEnd >> 20} MB",
            "modes: " + string.Join(", ", Modes.OrderBy(m => m.Key).Select(m => $"{m.Key} {m.Value}")),
            "answers: " + string.Join(", ", Outcomes.OrderByDescending(o => o.Value).Take(12).Select(o => $"{o.Key} x{o.Value}")),
        };
        lines.AddRange(Failures.Take(20).Select(f => f.ToString()));
        lines.AddRange(Unobserved.Take(5).Select(u => $"unobserved task exception: {u}"));
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>Runs cases seed after seed, round-robin over the given versions and roles, within a time budget.</summary>
public static class FuzzCampaign
{
    public static readonly (SpdyVersion, SpdyRole)[] AllTargets =
    [
        (SpdyVersion.Spdy2, SpdyRole.Server), (SpdyVersion.Spdy3, SpdyRole.Server), (SpdyVersion.Spdy31, SpdyRole.Server),
        (SpdyVersion.Spdy2, SpdyRole.Client), (SpdyVersion.Spdy3, SpdyRole.Client), (SpdyVersion.Spdy31, SpdyRole.Client),
    ];

    /// <summary>Heap growth (after a full GC) allowed over a whole run: more means something outlives its session.</summary>
    public const long MaxHeapGrowth = 64L << 20;

    public static async Task<FuzzSummary> RunAsync(IReadOnlyList<(SpdyVersion Version, SpdyRole Role)> targets, int firstSeed, TimeSpan budget,
        int maxCases = int.MaxValue, Action<string>? progress = null)
    {
        var summary = new FuzzSummary();
        FuzzRunner.TakeUnobserved();
        summary.HeapStart = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        for (var i = 0; i < maxCases && clock.Elapsed < budget; i++)
        {
            var (version, role) = targets[i % targets.Count];
            var fuzzCase = new FuzzCase(version, role, unchecked(firstSeed + (i / targets.Count)));
            var result = await FuzzRunner.RunAsync(fuzzCase).ConfigureAwait(false);
            summary.Executions++;
            summary.Modes[fuzzCase.Mode] = summary.Modes.GetValueOrDefault(fuzzCase.Mode) + 1;
            var outcome = result.Expected is { } e ? $"{e.Kind}" : result.Outcome;
            summary.Outcomes[outcome] = summary.Outcomes.GetValueOrDefault(outcome) + 1;
            if (result.Failed)
            {
                summary.Failures.Add(result);
                progress?.Invoke(result.ToString());
            }

            if (progress is not null && clock.Elapsed - lastProgress > TimeSpan.FromSeconds(30))
            {
                lastProgress = clock.Elapsed;
                progress($"{clock.Elapsed.TotalSeconds:F0} s: {summary.Executions} cases, {summary.Failures.Count} failed, heap {GC.GetTotalMemory(false) >> 20} MB");
            }
        }

        summary.Elapsed = clock.Elapsed;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        summary.HeapEnd = GC.GetTotalMemory(forceFullCollection: true);
        summary.Unobserved.AddRange(FuzzRunner.TakeUnobserved());
        return summary;
    }
}
