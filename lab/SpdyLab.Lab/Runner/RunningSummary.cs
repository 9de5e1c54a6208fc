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
            var means = byConfiguration.Values.Where(v => v.Count > 0).Select(v => (v.Label, Mean: v.Sum / v.Count)).ToList();
            var http = means.Where(m => m.Label.StartsWith("HTTP", StringComparison.Ordinal) && !m.Label.StartsWith("HTTP/2", StringComparison.Ordinal))
                .OrderBy(m => m.Label.Length).FirstOrDefault();
            var best = means.Where(m => m.Label != http.Label).OrderBy(m => m.Mean).FirstOrDefault();
            if (http.Label is not null) text += $"; {http.Label} {Ms(http.Mean)}";
            if (best.Label is not null)
            {
                text += $"; best {best.Label} {Ms(best.Mean)}";
                if (http.Label is not null && http.Mean > 0) text += $" ({(http.Mean - best.Mean) / http.Mean * 100:0}% faster)";
            }
            return text;
        }
    }

    private static string Ms(double ms) => ms.ToString("0", CultureInfo.InvariantCulture) + " ms";
}
