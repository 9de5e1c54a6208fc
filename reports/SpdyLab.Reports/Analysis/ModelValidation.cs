using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SpdyLab.Reports.Statistics;
using SpdyLab.Results;

namespace SpdyLab.Reports.Analysis;

/// <summary>A link as the trials recorded it: name, rates, RTT and loss. Two losses on one named link are two links here.</summary>
public sealed record ValidationLink(string Name, long DownBps, long UpBps, double RttMs, double Loss) : IComparable<ValidationLink>
{
    public static ValidationLink Of(TrialRecord t) => new(t.Link, t.DownBps, t.UpBps, t.RttMs, t.Loss);

    /// <summary>"DSL, 40 ms, 1% loss".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{ReportBuilder.LinkName(Name)}, {RttMs:0.#} ms, {Loss * 100:0.##}% loss");

    /// <summary>DSL before cable before the rest; then by name, RTT, and lossy before lossless (the paper's 1% first).</summary>
    public int CompareTo(ValidationLink? other)
    {
        if (other is null) return 1;
        var c = ReportBuilder.LinkOrder(Name).CompareTo(ReportBuilder.LinkOrder(other.Name));
        if (c == 0) c = string.CompareOrdinal(Name, other.Name);
        if (c == 0) c = RttMs.CompareTo(other.RttMs);
        if (c == 0) c = other.Loss.CompareTo(Loss);
        return c;
    }
}

/// <summary>The cell a model was calibrated on (named link and loss, protocol): the other cells are held out from it.</summary>
public sealed record ValidationCellRef(string Link, double Loss, string Protocol)
{
    public bool Matches(ValidationLink link, string protocol) =>
        string.Equals(link.Name, Link, StringComparison.OrdinalIgnoreCase) && Math.Abs(link.Loss - Loss) < 1e-9 && protocol == Protocol;

    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{ReportBuilder.LinkName(Link)} at {Loss * 100:0.##}% loss, {Protocol}");
}

/// <summary>
/// What <c>spdylab validate</c> stores in the results database's meta table (key <see cref="Key"/>, JSON) for the
/// report: which cell was the calibration cell, and how many resources each site's snapshot records (the
/// trials' columns do not say).
/// </summary>
public sealed record ValidationMeta
{
    public const string Key = "validation";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public ValidationCellRef? Calibration { get; init; }

    /// <summary>Per site: the exchanges its snapshot records (the document and every subresource).</summary>
    public IReadOnlyDictionary<string, int> SnapshotResources { get; init; } = new Dictionary<string, int>();

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The meta entry of a database, or an empty one (a database from `spdylab sweep` has none). A malformed
    /// entry reads as empty too: it only adds columns to the report, and the trials are what count.</summary>
    public static ValidationMeta From(IReadOnlyDictionary<string, string> meta)
    {
        if (!meta.TryGetValue(Key, out var text)) return new ValidationMeta();
        try
        {
            return JsonSerializer.Deserialize<ValidationMeta>(text, Json) ?? new ValidationMeta();
        }
        catch (JsonException)
        {
            return new ValidationMeta();
        }
    }
}

/// <summary>One client's loads of one cell: runs, mean PLT, TTFB and DCL, requests per load (mean, fewest, most).</summary>
public sealed record LoadSummary(int Runs, double PltMs, double? TtfbMs, double? DclMs, double? Requests, int? FewestRequests, int? MostRequests)
{
    public static LoadSummary Of(IReadOnlyList<TrialRecord> loads)
    {
        var requests = loads.Select(t => t.Requests).OfType<int>().ToList();
        return new LoadSummary(loads.Count, loads.Average(t => t.PltMs!.Value), Mean(loads, t => t.TtfbMs), Mean(loads, t => t.DclMs),
            requests.Count == 0 ? null : requests.Average(), requests.Count == 0 ? null : requests.Min(), requests.Count == 0 ? null : requests.Max());
    }

    private static double? Mean(IReadOnlyList<TrialRecord> loads, Func<TrialRecord, double?> metric)
    {
        var values = loads.Select(metric).OfType<double>().ToList();
        return values.Count == 0 ? null : values.Average();
    }
}

/// <summary>
/// One site on one link and protocol, loaded by both clients. Difference = mean(model PLT) / mean(Chromium PLT) − 1
/// (positive: the model is slower), with its 95% interval: paired by run when every load of one client has a
/// partner of the other with the same run index and loss seed, else from the two samples resampled apart.
/// </summary>
public sealed record ValidationCell(string Site, ValidationLink Link, string Protocol, string Transport, string DomainMode,
    LoadSummary Model, LoadSummary Chromium, Estimate Difference, bool Paired, int? SnapshotResources, bool? IsCalibration)
{
    public bool IsWithin(double tolerance) => Math.Abs(Difference.Value) <= tolerance;

    /// <summary>The built-in client's configuration (row label).</summary>
    public Configuration Configuration => new(Protocol, Transport, DomainMode, Features.None, Clients.Builtin);
}

/// <summary>
/// The protocol effect on one link (one site, or every site when <see cref="Site"/> is null): each client's PLT change
/// with the multiplexed protocol against HTTP/1.1 (Σ PLT(h2) / Σ PLT(HTTP/1.1) − 1 over loads paired by site, run and
/// seed; negative = faster), and the gap model − Chromium in percentage points, its interval from resampling the
/// (site, run) units that have all four loads.
/// </summary>
public sealed record ProtocolEffect(string? Site, ValidationLink Link, string Protocol, string Transport, Estimate? Model, Estimate? Chromium,
    Estimate? Gap, bool? HoldsCalibration)
{
    public double? GapValue => Model is null || Chromium is null ? null : Model.Value - Chromium.Value;
    public bool IsWithin(double tolerance) => GapValue is { } gap && Math.Abs(gap) <= tolerance;
}

/// <summary>The two targets, evaluated on a set of cells and links.</summary>
public sealed record ValidationTargets(string Scope, int Cells, int CellsWithin, IReadOnlyList<ProtocolEffect> LinkEffects)
{
    public double Share => Cells == 0 ? 0 : (double)CellsWithin / Cells;

    /// <summary>Mean PLT within 10% of Chromium's in at least 90% of the site × link × protocol cells.</summary>
    public bool PltTargetMet => Cells > 0 && Share >= ModelValidation.CellShareTarget - 1e-12;

    /// <summary>The protocol effect within 5 percentage points of Chromium's on every link.</summary>
    public bool EffectTargetMet => LinkEffects.Count > 0 && LinkEffects.All(e => e.IsWithin(ModelValidation.EffectTolerance));
}

/// <summary>
/// The built-in client (the model) against Chromium: every site × link × protocol both loaded, each client's
/// protocol effect per site and per link, and the targets of issue #19 (docs/browser.md, "Validation").
/// </summary>
public sealed class ModelValidation
{
    /// <summary>A cell is "within" when |model − Chromium| / Chromium is at most this.</summary>
    public const double PltTolerance = 0.10;

    /// <summary>The share of cells that must be within <see cref="PltTolerance"/>.</summary>
    public const double CellShareTarget = 0.90;

    /// <summary>Largest accepted gap between the two clients' protocol effects (a fraction: 0.05 = 5 percentage points).</summary>
    public const double EffectTolerance = 0.05;

    public required IReadOnlyList<ValidationCell> Cells { get; init; }
    public required IReadOnlyList<ProtocolEffect> SiteEffects { get; init; }
    public required IReadOnlyList<ProtocolEffect> LinkEffects { get; init; }
    public required ValidationMeta Meta { get; init; }
    public required ValidationTargets All { get; init; }

    /// <summary>The targets on the cells (and links) that are not the calibration cell's; null when no calibration cell was named.</summary>
    public ValidationTargets? HeldOut { get; init; }

    /// <summary>Null when no site, link and protocol was loaded by both clients.</summary>
    public static ModelValidation? Compute(IEnumerable<TrialRecord> trials, ValidationMeta meta, Bootstrap bootstrap)
    {
        // Chromium loads only feature none (push, hint and prefetch are the built-in client's or the SPDY server's).
        var ok = trials.Where(t => t.IsOk && t.PltMs is not null && t.Feature == Features.None).ToList();
        var cells = new List<ValidationCell>();
        foreach (var group in ok.GroupBy(t => (t.Site, Link: ValidationLink.Of(t), t.Protocol, t.Transport, t.DomainMode)))
        {
            var model = group.Where(t => t.Client == Clients.Builtin).ToList();
            var chromium = group.Where(t => t.Client == Clients.Chromium).ToList();
            if (model.Count == 0 || chromium.Count == 0) continue;
            var (difference, paired) = Difference(model, chromium, bootstrap);
            cells.Add(new ValidationCell(group.Key.Site, group.Key.Link, group.Key.Protocol, group.Key.Transport, group.Key.DomainMode,
                LoadSummary.Of(model), LoadSummary.Of(chromium), difference, paired,
                meta.SnapshotResources.TryGetValue(group.Key.Site, out var resources) ? resources : null,
                meta.Calibration?.Matches(group.Key.Link, group.Key.Protocol)));
        }
        if (cells.Count == 0) return null;
        cells = cells.OrderBy(c => c.Link).ThenBy(c => c.Configuration).ThenBy(c => c.Site, StringComparer.Ordinal).ToList();

        // Protocol effects only where both clients have a cell, so each client's effect is over the same sites.
        var both = cells.Select(c => (c.Site, c.Link, c.Protocol, c.Transport, c.DomainMode)).ToHashSet();
        var compared = ok.Where(t => both.Contains((t.Site, ValidationLink.Of(t), t.Protocol, t.Transport, t.DomainMode))).ToList();
        var siteEffects = new List<ProtocolEffect>();
        var linkEffects = new List<ProtocolEffect>();
        foreach (var group in compared.Where(t => Protocols.IsMultiplexed(t.Protocol))
                     .GroupBy(t => (Link: ValidationLink.Of(t), t.Protocol, t.Transport, t.DomainMode)).OrderBy(g => g.Key.Link))
        {
            var sites = group.Select(t => t.Site).Distinct().ToHashSet();
            var baseline = compared.Where(t => t.Protocol == Protocols.Http11 && t.Transport == group.Key.Transport && t.DomainMode == DomainModes.Multi
                                               && ValidationLink.Of(t) == group.Key.Link && sites.Contains(t.Site)).ToList();
            bool? holds = meta.Calibration is { } calibration
                ? calibration.Matches(group.Key.Link, group.Key.Protocol) || calibration.Matches(group.Key.Link, Protocols.Http11)
                : null;
            var perLink = Effect(null, group.Key.Link, group.Key.Protocol, group.Key.Transport, group.ToList(), baseline, holds, bootstrap);
            if (perLink is null) continue;
            linkEffects.Add(perLink);
            foreach (var site in sites.Order(StringComparer.Ordinal))
            {
                if (Effect(site, group.Key.Link, group.Key.Protocol, group.Key.Transport, group.Where(t => t.Site == site).ToList(),
                        baseline.Where(t => t.Site == site).ToList(), holds, bootstrap) is { } effect)
                {
                    siteEffects.Add(effect);
                }
            }
        }

        var all = new ValidationTargets("all", cells.Count, cells.Count(c => c.IsWithin(PltTolerance)), linkEffects);
        ValidationTargets? heldOut = null;
        if (meta.Calibration is not null)
        {
            var held = cells.Where(c => c.IsCalibration == false).ToList();
            heldOut = new ValidationTargets("held out", held.Count, held.Count(c => c.IsWithin(PltTolerance)),
                linkEffects.Where(e => e.HoldsCalibration == false).ToList());
        }
        return new ModelValidation
        {
            Cells = cells, SiteEffects = siteEffects, LinkEffects = linkEffects, Meta = meta, All = all, HeldOut = heldOut,
        };
    }

    /// <summary>
    /// mean(model) / mean(Chromium) − 1. Paired (by site, run, link and seed: the same loss pattern) when every load
    /// of each client has exactly one partner; otherwise the two samples are resampled apart.
    /// </summary>
    internal static (Estimate Difference, bool Paired) Difference(IReadOnlyList<TrialRecord> model, IReadOnlyList<TrialRecord> chromium, Bootstrap bootstrap)
    {
        var chromiumByKey = chromium.GroupBy(PairKey.Of).ToDictionary(g => g.Key, g => g.ToList());
        var pairs = new List<(double Baseline, double Candidate)>();
        foreach (var t in model)
        {
            if (chromiumByKey.TryGetValue(PairKey.Of(t), out var partners) && partners.Count == 1)
            {
                pairs.Add((partners[0].PltMs!.Value, t.PltMs!.Value));
            }
        }
        if (pairs.Count == model.Count && pairs.Count == chromium.Count)
        {
            // Σ model / Σ Chromium − 1 is minus the Reduction (1 − Σ candidate / Σ baseline) with Chromium as the baseline.
            return (bootstrap.Reduction(pairs)!.Scale(-1), true);
        }
        return (bootstrap.RelativeDifference(model.Select(t => t.PltMs!.Value).ToList(), chromium.Select(t => t.PltMs!.Value).ToList())!, false);
    }

    private static ProtocolEffect? Effect(string? site, ValidationLink link, string protocol, string transport, List<TrialRecord> candidate,
        List<TrialRecord> baseline, bool? holdsCalibration, Bootstrap bootstrap)
    {
        var model = EffectPairs(candidate, baseline, Clients.Builtin);
        var chromium = EffectPairs(candidate, baseline, Clients.Chromium);
        if (model.Count == 0 && chromium.Count == 0) return null;
        var modelEffect = bootstrap.Reduction(model.Values.ToList())?.Scale(-1);
        var chromiumEffect = bootstrap.Reduction(chromium.Values.ToList())?.Scale(-1);

        // Units that have all four loads (both clients, both protocols, the same site, run and seed).
        var units = model.Keys.Where(chromium.ContainsKey).ToList();
        Estimate? gap = null;
        if (units.Count > 0 && modelEffect is not null && chromiumEffect is not null)
        {
            var m = units.Select(k => model[k]).ToArray();
            var c = units.Select(k => chromium[k]).ToArray();
            var interval = bootstrap.Statistic(units.Count, indices => Change(m, indices) - Change(c, indices))!;
            gap = new Estimate(modelEffect.Value - chromiumEffect.Value, interval.Low, interval.High, interval.N);
        }
        return new ProtocolEffect(site, link, protocol, transport, modelEffect, chromiumEffect, gap, holdsCalibration);

        static double Change((double Baseline, double Candidate)[] pairs, int[] indices)
        {
            double b = 0, c = 0;
            foreach (var i in indices)
            {
                b += pairs[i].Baseline;
                c += pairs[i].Candidate;
            }
            return b == 0 ? 0 : c / b - 1;
        }
    }

    /// <summary>(HTTP/1.1 PLT, multiplexed PLT) of one client, keyed by site, run, link and seed.</summary>
    private static Dictionary<PairKey, (double Baseline, double Candidate)> EffectPairs(List<TrialRecord> candidate, List<TrialRecord> baseline, string client)
    {
        var baselineByKey = new Dictionary<PairKey, double>();
        foreach (var t in baseline.Where(t => t.Client == client)) baselineByKey.TryAdd(PairKey.Of(t), t.PltMs!.Value);
        var pairs = new Dictionary<PairKey, (double, double)>();
        foreach (var t in candidate.Where(t => t.Client == client))
        {
            if (baselineByKey.TryGetValue(PairKey.Of(t), out var b)) pairs.TryAdd(PairKey.Of(t), (b, t.PltMs!.Value));
        }
        return pairs;
    }
}
