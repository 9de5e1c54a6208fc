using SpdyLab.Reports.Statistics;
using SpdyLab.Reports.Tables;
using SpdyLab.Results;

namespace SpdyLab.Reports.Analysis;

/// <summary>
/// The paper explains its loss results (Table 2) with three packet-level claims; this section puts each
/// against the packet evidence of the trials' captures (the pcap_* columns, docs/results.md), at every loss
/// rate of Table 2, for the sweep's representative SPDY row against HTTP on paired loads.
/// </summary>
public sealed partial class ReportBuilder
{
    internal const string ClaimPackets = "1. SPDY sends ~40% fewer packets";
    internal const string ClaimSyns = "2. Fewer connections, fewer lost SYNs (a lost SYN costs up to 3 s)";
    internal const string ClaimFastRetransmit = "3. Denser TCP use: fast retransmit instead of retransmission timers";

    private ReportSection PacketClaims(List<TrialRecord> table2)
    {
        var section = new ReportSection("packet-claims", "The paper's loss explanations against the packets")
        {
            Intro = "The paper explains how SPDY fares under loss with three claims about packets. Each is measured here from the " +
                    "trials' own packet captures (both sides of the link, read with PacketDotNet; rules in docs/results.md, " +
                    "\"Packet evidence\") at every loss rate of Table 2, SPDY against HTTP on paired loads. A claim is confirmed " +
                    "at a loss rate when the 95% interval of the SPDY-vs-HTTP difference lies entirely on the claimed side.",
        };
        var measured = table2.Where(t => t.PcapPacketsUp is not null).ToList();
        if (measured.Count == 0)
        {
            section.Notes.Add(table2.Count == 0
                ? "No Table 2 data in this database (no ok trials with design 'table2'); section omitted."
                : "No packet evidence in this database (pcap_* columns empty: recorded before schema 2, or with --no-packet-evidence); section omitted.");
            return section;
        }
        var candidates = measured.Select(Configuration.Of).Distinct().Where(c => !c.IsHttp).OrderBy(c => c).ToList();
        var spdy = candidates.FirstOrDefault(c => c.Transport == Transports.Tcp && c.DomainMode == DomainModes.Single && c.Feature == Features.None)
                   ?? candidates.FirstOrDefault();
        if (spdy is null)
        {
            section.Notes.Add("No SPDY trials with packet evidence in Table 2; section omitted.");
            return section;
        }
        var table = new ReportTable("packet-claims", $"The paper's three claims at each loss rate: {spdy.FullLabel} against {spdy.Baseline.FullLabel}",
            ["Loss", "Claim", "Measure (per page load)", "HTTP", "SPDY", "SPDY vs HTTP", "Verdict"]);
        foreach (var group in measured.GroupBy(t => t.Loss).OrderBy(g => g.Key))
        {
            var loss = Cell.Text((group.Key * 100).ToString("0.##", Invariant) + "%");
            var http = group.Where(t => Configuration.Of(t) == spdy.Baseline).ToList();
            var candidate = group.Where(t => Configuration.Of(t) == spdy).ToList();

            // Claim 1: packets, and what they cost in header bytes.
            var packets = Speedup(candidate, http, t => Sum(t.PcapPacketsUp, t.PcapPacketsDown));
            table.Add(loss, Cell.Text(ClaimPackets), Cell.Text("IP packets, both directions"),
                Cell.Of(MeanOf(http, t => Sum(t.PcapPacketsUp, t.PcapPacketsDown)), Unit.Count),
                Cell.Of(MeanOf(candidate, t => Sum(t.PcapPacketsUp, t.PcapPacketsDown)), Unit.Count),
                ReductionCell(packets), Cell.Text(PacketVerdict(packets)));
            var headers = Speedup(candidate, http, t => Sum(t.PcapHeaderBytesUp, t.PcapHeaderBytesDown));
            table.Add(loss, Cell.Text(ClaimPackets), Cell.Text("IP + TCP header bytes on the wire"),
                Cell.Of(MeanOf(http, t => Sum(t.PcapHeaderBytesUp, t.PcapHeaderBytesDown)), Unit.Count),
                Cell.Of(MeanOf(candidate, t => Sum(t.PcapHeaderBytesUp, t.PcapHeaderBytesDown)), Unit.Count),
                ReductionCell(headers), Cell.Text("—"));

            // Claim 2: connections, lost SYNs, and what a lost SYN costs.
            var connections = Speedup(candidate, http, t => t.PcapConnections);
            table.Add(loss, Cell.Text(ClaimSyns), Cell.Text("TCP connections"),
                Cell.Of(MeanOf(http, t => (double?)t.PcapConnections), Unit.Count), Cell.Of(MeanOf(candidate, t => (double?)t.PcapConnections), Unit.Count),
                ReductionCell(connections), Cell.Text("—"));
            var syns = Speedup(candidate, http, t => t.PcapSynRetransmissions);
            table.Add(loss, Cell.Text(ClaimSyns), Cell.Text("SYN retransmissions (lost SYNs or SYN-ACKs)"),
                Cell.Of(MeanOf(http, t => (double?)t.PcapSynRetransmissions), Unit.Count),
                Cell.Of(MeanOf(candidate, t => (double?)t.PcapSynRetransmissions), Unit.Count),
                ReductionCell(syns), Cell.Text(SynVerdict(connections, syns, http, candidate)));
            table.Add(loss, Cell.Text(ClaimSyns), Cell.Text("wait per lost SYN (ms; paper: up to 3000)"),
                Cell.Number(WaitPerLostSyn(http), Unit.Milliseconds), Cell.Number(WaitPerLostSyn(candidate), Unit.Milliseconds),
                Cell.Text("—"), Cell.Text(WaitVerdict(http.Concat(candidate).ToList())));

            // Claim 3: how losses were recovered.
            var timeouts = Speedup(candidate, http, t => t.PcapRecoveriesTimeout);
            table.Add(loss, Cell.Text(ClaimFastRetransmit), Cell.Text("loss recoveries by timeout"),
                Cell.Of(MeanOf(http, t => (double?)t.PcapRecoveriesTimeout), Unit.Count),
                Cell.Of(MeanOf(candidate, t => (double?)t.PcapRecoveriesTimeout), Unit.Count),
                ReductionCell(timeouts), Cell.Text("—"));
            var httpShare = NotByTimeoutShare(http);
            var spdyShare = NotByTimeoutShare(candidate);
            table.Add(loss, Cell.Text(ClaimFastRetransmit), Cell.Text("share of recoveries not by timeout (fast retransmit, RACK)"),
                Cell.Of(httpShare, Unit.Percent), Cell.Of(spdyShare, Unit.Percent),
                httpShare is null || spdyShare is null ? Cell.Text("—") : Cell.Text($"{(spdyShare.Value - httpShare.Value) * 100:+0.0;-0.0;0.0} pp"),
                Cell.Text(RecoveryVerdict(timeouts, httpShare, spdyShare)));
            table.Add(loss, Cell.Text(ClaimFastRetransmit), Cell.Text("of which fast retransmits (>= 3 duplicate ACKs)"),
                Cell.Of(FastShare(http), Unit.Percent), Cell.Of(FastShare(candidate), Unit.Percent), Cell.Text("—"), Cell.Text("—"));
        }
        section.Tables.Add(table);
        section.Notes.Add("SPDY vs HTTP: 1 − SPDY / HTTP on loads paired by site, run and seed (positive: SPDY has fewer), with its 95% " +
                          "bootstrap interval; shares are over all recoveries of the loads, with intervals over loads.");
        section.Notes.Add("Verdicts: claim 1 is confirmed when SPDY sends significantly fewer packets (and says whether ~40% is inside the " +
                          "interval); claim 2 when SPDY opens fewer connections and loses significantly fewer SYNs; claim 3 when SPDY " +
                          "has significantly fewer timeout recoveries and a larger share of its recoveries is not by timeout. " +
                          "\"Not shown\" means the interval includes no difference. Linux's first SYN retransmission comes after 1 s " +
                          "(RFC 6298 §5.7), not the 3 s of the paper's day (RFC 2988).");
        return section;
    }

    private static Cell ReductionCell(Estimate? reduction) => reduction is null ? Cell.Text("no pairs") : Cell.Of(reduction, Unit.Percent);

    private static string PacketVerdict(Estimate? reduction)
    {
        if (reduction is null) return "no data";
        if (reduction.Low > 0)
        {
            return reduction.Low <= PaperFigures.PacketReduction && PaperFigures.PacketReduction <= reduction.High
                ? "confirmed (~40% inside the interval)"
                : $"confirmed in direction ({(reduction.High < PaperFigures.PacketReduction ? "fewer than" : "more than")} 40% fewer)";
        }
        return reduction.High < 0 ? "contradicted: SPDY sends more" : "not shown";
    }

    private static string SynVerdict(Estimate? connections, Estimate? syns, List<TrialRecord> http, List<TrialRecord> spdy)
    {
        if (connections is null || syns is null) return "no data";
        if (http.Concat(spdy).All(t => (t.PcapSynRetransmissions ?? 0) == 0)) return "not shown: no SYN was lost";
        if (connections.Low > 0 && syns.Low > 0) return "confirmed";
        if (syns.High < 0) return "contradicted: SPDY loses more SYNs";
        return connections.Low > 0 ? "fewer connections; fewer lost SYNs not shown" : "not shown";
    }

    private static string WaitVerdict(List<TrialRecord> loads)
    {
        var wait = WaitPerLostSyn(loads);
        if (wait is null) return "no SYN lost";
        return wait.Value >= 2500 ? "confirmed: about 3 s" : $"costly, but about {wait.Value / 1000:0.0} s, not 3 s";
    }

    private static string RecoveryVerdict(Estimate? timeouts, Estimate? httpShare, Estimate? spdyShare)
    {
        if (timeouts is null || httpShare is null || spdyShare is null) return "no data";
        if (timeouts.Low > 0 && spdyShare.Value > httpShare.Value) return "confirmed";
        if (timeouts.High < 0) return "contradicted: SPDY has more timeouts";
        return "not shown";
    }

    /// <summary>Milliseconds of SYN wait per SYN retransmission over the loads; null when no SYN was lost.</summary>
    private static double? WaitPerLostSyn(List<TrialRecord> loads)
    {
        long lost = loads.Sum(t => (long)(t.PcapSynRetransmissions ?? 0));
        return lost == 0 ? null : loads.Sum(t => t.PcapSynWaitMs ?? 0) / lost;
    }

    /// <summary>Share of recoveries not started by a timeout: 1 − Σtimeout / Σall over loads (bootstrapped over loads).</summary>
    private Estimate? NotByTimeoutShare(List<TrialRecord> loads) =>
        bootstrap.Reduction(loads.Where(t => Recoveries(t) > 0).Select(t => ((double)Recoveries(t), (double)(t.PcapRecoveriesTimeout ?? 0))).ToList());

    /// <summary>Share of recoveries started by a fast retransmit: 1 − Σ(not fast) / Σall over loads.</summary>
    private Estimate? FastShare(List<TrialRecord> loads) =>
        bootstrap.Reduction(loads.Where(t => Recoveries(t) > 0)
            .Select(t => ((double)Recoveries(t), (double)(Recoveries(t) - (t.PcapRecoveriesFast ?? 0)))).ToList());

    private static long Recoveries(TrialRecord t) => (t.PcapRecoveriesFast ?? 0) + (t.PcapRecoveriesTimeout ?? 0) + (t.PcapRecoveriesOther ?? 0);
}
