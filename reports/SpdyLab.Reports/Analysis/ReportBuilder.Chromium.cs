using SpdyLab.Reports.Tables;
using SpdyLab.Results;

namespace SpdyLab.Reports.Analysis;

/// <summary>One site on one link and protocol, loaded by both clients: mean page load times over the runs.</summary>
public sealed record ClientPair(string Site, string Link, double RttMs, double Loss, Configuration Builtin,
    double BuiltinPltMs, double ChromiumPltMs, double? ChromiumDclMs, double? ChromiumTtfbMs, double? BuiltinTtfbMs,
    double? BuiltinRequests, double? ChromiumRequests, int BuiltinRuns, int ChromiumRuns)
{
    /// <summary>(built-in − Chromium) / Chromium: positive when the model is slower than the browser.</summary>
    public double Difference => (BuiltinPltMs - ChromiumPltMs) / ChromiumPltMs;
}

public sealed partial class ReportBuilder
{
    /// <summary>
    /// Every (site, link, RTT, loss, protocol, transport, domain, feature) loaded by both the built-in client
    /// and Chromium, with each client's mean page load time over its ok runs (Chromium's is loadEventEnd).
    /// </summary>
    public static List<ClientPair> ClientPairs(IEnumerable<TrialRecord> trials)
    {
        var ok = trials.Where(t => t.IsOk && t.PltMs is not null).ToList();
        var pairs = new List<ClientPair>();
        foreach (var group in ok.GroupBy(t => (t.Site, t.Link, t.RttMs, t.Loss, t.Protocol, t.Transport, t.DomainMode, t.Feature)))
        {
            var builtin = group.Where(t => t.Client == Clients.Builtin).ToList();
            var chromium = group.Where(t => t.Client == Clients.Chromium).ToList();
            if (builtin.Count == 0 || chromium.Count == 0) continue;
            pairs.Add(new ClientPair(group.Key.Site, group.Key.Link, group.Key.RttMs, group.Key.Loss, Configuration.Of(builtin[0]),
                builtin.Average(t => t.PltMs!.Value), chromium.Average(t => t.PltMs!.Value),
                Mean(chromium, t => t.DclMs), Mean(chromium, t => t.TtfbMs), Mean(builtin, t => t.TtfbMs),
                Mean(builtin, t => t.Requests), Mean(chromium, t => t.Requests), builtin.Count, chromium.Count));
        }
        return pairs.OrderBy(p => LinkOrder(p.Link)).ThenBy(p => p.Link, StringComparer.Ordinal).ThenBy(p => p.RttMs).ThenBy(p => p.Loss)
            .ThenBy(p => p.Builtin).ThenBy(p => p.Site, StringComparer.Ordinal).ToList();
    }

    private static double? Mean(List<TrialRecord> trials, Func<TrialRecord, double?> metric)
    {
        var values = trials.Select(metric).OfType<double>().ToList();
        return values.Count == 0 ? null : values.Average();
    }

    /// <summary>The value at the middle of the sorted list (mean of the two middle ones for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static ReportSection? ClientValidation(List<TrialRecord> ok)
    {
        var pairs = ClientPairs(ok);
        if (pairs.Count == 0) return null;
        var section = new ReportSection("clients", "Built-in client against Chromium")
        {
            Intro = "The same snapshot, link and protocol loaded by the built-in client and by Chromium (Playwright). " +
                    "Built-in PLT = navigation start to the end of the last resource; Chromium PLT = loadEventEnd. " +
                    "Difference = (built-in − Chromium) / Chromium, per site on mean page load times over the runs.",
        };
        var summary = new ReportTable("clients-summary", "Built-in client vs Chromium: median and worst difference",
            ["Link", "Configuration", "Sites", "Median difference", "Median |difference|", "Worst difference", "Worst site", "Within 10%"]);
        foreach (var group in pairs.GroupBy(p => (p.Link, p.RttMs, p.Loss, p.Builtin)))
        {
            var differences = group.Select(p => p.Difference).ToList();
            var worst = group.MaxBy(p => Math.Abs(p.Difference))!;
            summary.Add(Cell.Text($"{LinkName(group.Key.Link)}, {group.Key.RttMs:0.#} ms, {group.Key.Loss * 100:0.##}% loss"),
                Cell.Text(group.Key.Builtin.FullLabel), Cell.Number(group.Count(), Unit.Count),
                Cell.Number(Median(differences), Unit.Percent), Cell.Number(Median(differences.Select(Math.Abs).ToList()), Unit.Percent),
                Cell.Number(worst.Difference, Unit.Percent), Cell.Text(worst.Site),
                Cell.Text($"{differences.Count(d => Math.Abs(d) <= 0.10)} of {differences.Count}"));
        }
        section.Tables.Add(summary);

        var table = new ReportTable("clients-per-site", "Built-in client vs Chromium, per site",
            ["Site", "Link", "Configuration", "Built-in PLT (ms)", "Chromium PLT (ms)", "Difference", "Chromium DCL (ms)",
             "Built-in TTFB (ms)", "Chromium TTFB (ms)", "Built-in requests", "Chromium requests", "Runs"]);
        foreach (var p in pairs)
        {
            table.Add(Cell.Text(p.Site), Cell.Text(LinkName(p.Link)), Cell.Text(p.Builtin.FullLabel),
                Cell.Number(p.BuiltinPltMs, Unit.Milliseconds), Cell.Number(p.ChromiumPltMs, Unit.Milliseconds), Cell.Number(p.Difference, Unit.Percent),
                Cell.Number(p.ChromiumDclMs, Unit.Milliseconds), Cell.Number(p.BuiltinTtfbMs, Unit.Milliseconds), Cell.Number(p.ChromiumTtfbMs, Unit.Milliseconds),
                Cell.Number(p.BuiltinRequests, Unit.Count), Cell.Number(p.ChromiumRequests, Unit.Count), Cell.Text($"{p.BuiltinRuns} / {p.ChromiumRuns}"));
        }
        table.Notes.Add("Chromium's requests are its Resource Timing entries plus the document; they include Chromium's own /favicon.ico " +
                        "and leave out requests the page never makes in a browser (recorded XHRs no script issues).");
        section.Tables.Add(table);
        return section;
    }
}
