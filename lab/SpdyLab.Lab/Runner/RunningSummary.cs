using System.Globalization;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// The live one-line summary while a run goes on: trials done and failed, and the mean page load time of
/// HTTP against the best multiplexed configuration among the trials finished so far.
/// </summary>
public sealed class RunningSummary
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, (string Label, double Sum, int Count)> byConfiguration = new();
    private int ok, failed;
    private string? lastError;

    public void Add(PlannedTrial trial, TrialRecord record)
    {
        lock (gate)
        {
            if (!record.IsOk || record.PltMs is not { } plt)
            {
                failed++;
                lastError = record.Error;
                return;
            }
            ok++;
            var key = trial.Configuration.Key;
            var (label, sum, count) = byConfiguration.GetValueOrDefault(key, (trial.Configuration.DisplayName, 0, 0));
            byConfiguration[key] = (label, sum + plt, count + 1);
        }
    }

    public int Ok { get { lock (gate) return ok; } }
    public int Failed { get { lock (gate) return failed; } }
    public string? LastError { get { lock (gate) return lastError; } }

    public string Describe()
    {
        lock (gate)
        {
            var text = $"{ok} ok, {failed} failed";
            var means = byConfiguration.Where(v => v.Value.Count > 0)
                .Select(v => (Key: v.Key, v.Value.Label, Mean: v.Value.Sum / v.Value.Count)).ToList();
            // Keys are protocol|transport|domain|feature (Configuration.Key).
            var http = means.Where(m => m.Key == "http/1.1|tcp|multi|none").Select(m => ((string Label, double Mean)?)(m.Label, m.Mean)).FirstOrDefault();
            var best = means.Where(m => !m.Key.StartsWith("http/1.1|", StringComparison.Ordinal))
                .OrderBy(m => m.Mean).Select(m => ((string Label, double Mean)?)(m.Label, m.Mean)).FirstOrDefault();
            if (http is { } h) text += $"; {h.Label} {Ms(h.Mean)}";
            if (best is { } b)
            {
                text += $"; fastest multiplexed: {b.Label} {Ms(b.Mean)}";
                if (http is { Mean: > 0 } baseline) text += $" ({(baseline.Mean - b.Mean) / baseline.Mean * 100:0}% below HTTP)";
            }
            return text;
        }
    }

    private static string Ms(double ms) => ms.ToString("0", CultureInfo.InvariantCulture) + " ms";
}
