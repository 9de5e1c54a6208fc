using System.Globalization;
using System.Text;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// The end-of-run summary as plain-text tables, one per design and link condition: for every
/// configuration the mean page load time (the mean over sites of each site's mean, as the paper
/// averages), the reduction against HTTP over the same transport, header compression and packets.
/// (The full report with statistics and the paper comparison is `spdylab report`.)
/// </summary>
public static class SummaryTables
{
    public static string Render(IReadOnlyList<TrialRecord> trials)
    {
        var text = new StringBuilder();
        var ok = trials.Where(t => t.IsOk && t.PltMs is not null).ToList();
        int failed = trials.Count(t => !t.IsOk);
        text.AppendLine($"{trials.Count} trials in the database: {ok.Count} ok, {failed} failed.");
        var groups = ok.GroupBy(t => (t.Design, t.Link, t.RttMs, t.Loss))
            .OrderBy(g => g.Key.Design, StringComparer.Ordinal).ThenBy(g => g.Key.Link, StringComparer.Ordinal)
            .ThenBy(g => g.Key.RttMs).ThenBy(g => g.Key.Loss);
        foreach (var group in groups)
        {
            var (design, link, rtt, loss) = group.Key;
            var down = group.First().DownBps;
            var up = group.First().UpBps;
            text.AppendLine();
            text.AppendLine(Invariant($"{design}: {link} ({Rate(down)}/{Rate(up)}), RTT {rtt:0.###} ms, loss {loss * 100:0.###}%"));
            var rows = new List<string[]> { new[] { "configuration", "sites", "trials", "mean PLT ms", "vs HTTP", "hdr comp up", "hdr comp down", "packets vs HTTP" } };
            var configurations = group.GroupBy(t => (t.Protocol, t.Transport, t.DomainMode, t.Feature, t.Client))
                .OrderBy(c => c.Key.Transport, StringComparer.Ordinal)
                .ThenBy(c => c.Key.Protocol == Protocols.Http11 ? 0 : 1)
                .ThenBy(c => c.Key.Protocol, StringComparer.Ordinal).ThenBy(c => c.Key.DomainMode, StringComparer.Ordinal)
                .ThenBy(c => IndexOf(Features.All, c.Key.Feature))
                .ThenBy(c => IndexOf(Clients.All, c.Key.Client))
                .ToList();
            foreach (var configuration in configurations)
            {
                var (protocol, transport, domain, feature, client) = configuration.Key;
                var label = new Configuration { Protocol = protocol, Transport = transport, DomainMode = domain, Feature = feature, Client = client }.DisplayName;
                var siteMeans = SiteMeans(configuration);
                var baseline = configurations.FirstOrDefault(c => c.Key.Protocol == Protocols.Http11 && c.Key.Transport == transport
                    && c.Key.DomainMode == DomainModes.Multi && c.Key.Feature == Features.None && c.Key.Client == client);
                string versus = "";
                string packets = "";
                if (baseline is not null && !ReferenceEquals(baseline, configuration))
                {
                    // Paired: compare over the sites both configurations have.
                    var baseMeans = SiteMeans(baseline);
                    var common = siteMeans.Keys.Intersect(baseMeans.Keys).ToList();
                    if (common.Count > 0)
                    {
                        double b = common.Average(s => baseMeans[s]);
                        double x = common.Average(s => siteMeans[s]);
                        versus = Invariant($"{(b - x) / b * 100:0.0}%");
                    }
                    double? basePackets = MeanPackets(baseline), ownPackets = MeanPackets(configuration);
                    if (basePackets is > 0 && ownPackets is not null) packets = Invariant($"{(ownPackets.Value - basePackets.Value) / basePackets.Value * 100:+0.0;-0.0}%");
                }
                rows.Add([
                    label,
                    siteMeans.Count.ToString(CultureInfo.InvariantCulture),
                    configuration.Count().ToString(CultureInfo.InvariantCulture),
                    Invariant($"{siteMeans.Values.Average():0.0}"),
                    versus,
                    Compression(configuration, t => t.HeaderBytesUpRaw, t => t.HeaderBytesUpWire),
                    Compression(configuration, t => t.HeaderBytesDownRaw, t => t.HeaderBytesDownWire),
                    packets,
                ]);
            }
            AppendTable(text, rows);
        }
        return text.ToString();
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return list.Count;
    }

    private static Dictionary<string, double> SiteMeans(IEnumerable<TrialRecord> trials) =>
        trials.GroupBy(t => t.Site).ToDictionary(g => g.Key, g => g.Average(t => t.PltMs!.Value));

    private static double? MeanPackets(IEnumerable<TrialRecord> trials)
    {
        var counted = trials.Where(t => t.PacketsUp is not null && t.PacketsDown is not null).ToList();
        return counted.Count == 0 ? null : counted.Average(t => (double)(t.PacketsUp!.Value + t.PacketsDown!.Value));
    }

    private static string Compression(IEnumerable<TrialRecord> trials, Func<TrialRecord, long?> raw, Func<TrialRecord, long?> wire)
    {
        long rawSum = 0, wireSum = 0;
        foreach (var t in trials)
        {
            if (raw(t) is { } r && wire(t) is { } w)
            {
                rawSum += r;
                wireSum += w;
            }
        }
        return rawSum == 0 ? "" : Invariant($"{(1 - (double)wireSum / rawSum) * 100:0.0}%");
    }

    private static void AppendTable(StringBuilder text, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        for (int r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
            text.AppendLine("  " + string.Join("  ", cells).TrimEnd());
            if (r == 0) text.AppendLine("  " + string.Join("  ", widths.Select(w => new string('-', w))));
        }
    }

    private static string Rate(long bps) => bps == 0 ? "trace" : SpdyLab.Emulator.Link.LinkValues.FormatRate(bps);

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
