using System.Globalization;
using SpdyLab.Reports.Charts;
using SpdyLab.Reports.Statistics;
using SpdyLab.Reports.Tables;
using SpdyLab.Results;

namespace SpdyLab.Reports.Analysis;

/// <summary>
/// Computes the paper's tables and the report's charts from the trials of one results database.
/// Only trials with status ok enter a figure. Page load times are means over loads; speedups are
/// 1 - mean(candidate) / mean(HTTP) over paired loads (<see cref="PairKey"/>), HTTP being HTTP/1.1 over
/// the same transport with the same client. Every figure carries n and a 95% bootstrap interval.
/// </summary>
public sealed partial class ReportBuilder(Bootstrap bootstrap)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    // One colour per configuration for the whole report, so a row keeps its colour from chart to chart.
    private readonly Dictionary<Configuration, string> colors = [];

    private string ColorOf(Configuration config) => colors.GetValueOrDefault(config, "#666");

    /// <param name="resolveArtifact">Turns a stored har_path into a file path (relative paths are relative to the database).</param>
    public Report Build(IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<string, string> meta, Func<string, string> resolveArtifact)
    {
        var ok = trials.Where(t => t.IsOk && t.PltMs is not null).ToList();
        var report = new Report
        {
            Title = $"SpdyLab report: {meta.GetValueOrDefault("experiment", "experiment")}",
            Meta = meta,
            Trials = trials.Count,
            FailedTrials = trials.Count(t => !t.IsOk),
            Method = $"Means over page loads with status ok; [low, high] is the 95% percentile-bootstrap interval " +
                     $"({bootstrap.Resamples} resamples, seed {bootstrap.Seed}); n counts loads, or pairs for speedups and reductions. " +
                     "Speedup = 1 − mean(PLT) / mean(HTTP PLT) over paired loads (same site, run index, link, seed), " +
                     "HTTP being HTTP/1.1 over the same transport with the same client.",
        };
        colors.Clear();
        foreach (var (config, i) in ok.Select(Configuration.Of).Distinct().Order().Select((c, i) => (c, i)))
        {
            colors[config] = Chart.Palette[i % Chart.Palette.Length];
        }
        var table1 = ok.Where(t => t.Design == Designs.Table1).ToList();
        var table2 = ok.Where(t => t.Design == Designs.Table2).ToList();
        var table3 = ok.Where(t => t.Design == Designs.Table3).ToList();
        // The comparisons that need one set of conditions (packets, lower bound, per site) use Table 1's
        // trials; a database without the paper's design (a custom sweep) uses all of its trials.
        var main = table1.Count > 0 ? table1 : ok;

        report.Sections.Add(PaperVersusLab(table1, table2, table3, ok));
        report.Sections.Add(Table1(table1));
        report.Sections.Add(Sweep(table2, "table2", "Table 2: page load time by packet loss rate",
            t => t.Loss, "packet loss rate (%)", (100, "%"), "packet loss rate", v => (v * 100).ToString("0.##", Invariant) + "%"));
        report.Sections.Add(PacketClaims(table2));
        report.Sections.Add(Sweep(table3, "table3", "Table 3: page load time by round-trip time",
            t => t.RttMs, "round-trip time (ms)", (1, ""), "RTT", v => v.ToString("0.##", Invariant) + " ms"));
        report.Sections.Add(HeaderCompression(ok));
        report.Sections.Add(PacketsAndBytes(main, table1.Count == 0));
        report.Sections.Add(LowerBound(main, table1.Count == 0));
        report.Sections.Add(PerSite(main, table1.Count == 0));
        report.Sections.Add(Waterfall(ok, resolveArtifact));
        if (ValidationSection(ok, meta) is { } validation) report.Sections.Add(validation);
        report.Sections.Add(AllConfigurations(trials));
        return report;
    }

    // ---- Paper vs lab -------------------------------------------------------------------------------

    private ReportSection PaperVersusLab(List<TrialRecord> table1, List<TrialRecord> table2, List<TrialRecord> table3, List<TrialRecord> ok)
    {
        var section = new ReportSection("paper-vs-lab", "The paper beside the lab")
        {
            Intro = "The whitepaper's published figures (DESIGN.md §6) next to this database's. Difference = lab − paper " +
                    "(percentage points for speedups and savings).",
        };
        var table = new ReportTable("paper-vs-lab", "Published figures and the lab's",
            ["Figure", "Link", "Paper", "Lab", "Difference"]);
        section.Tables.Add(table);

        foreach (var figure in PaperFigures.Table1)
        {
            var rows = table1.Where(t => t.Link.Equals(figure.Link, StringComparison.OrdinalIgnoreCase))
                .GroupBy(Configuration.Of).Where(g => figure.Matches(g.Key)).OrderBy(g => g.Key).ToList();
            if (rows.Count == 0)
            {
                table.Add(Cell.Text($"{figure.Row}: page load time"), Cell.Text(LinkName(figure.Link)), Cell.Number(figure.PltMs, Unit.Milliseconds),
                    Cell.Text("no data"), Cell.Text("—"));
                continue;
            }
            foreach (var row in rows)
            {
                var label = figure.IsHttp ? row.Key.Label : row.Key.Label;
                var plt = bootstrap.Mean(row.Select(t => t.PltMs!.Value).ToList());
                table.Add(Cell.Text($"{label}: page load time"), Cell.Text(LinkName(figure.Link)), Cell.Number(figure.PltMs, Unit.Milliseconds),
                    Cell.Of(plt, Unit.Milliseconds), Difference(plt?.Value, figure.PltMs, Unit.Milliseconds));
                if (figure.Speedup is { } published)
                {
                    var baseline = table1.Where(t => Configuration.Of(t) == row.Key.Baseline && t.Link == row.First().Link);
                    var speedup = Speedup(row, baseline, t => t.PltMs);
                    table.Add(Cell.Text($"{label}: speedup over HTTP"), Cell.Text(LinkName(figure.Link)), Cell.Number(published, Unit.Percent),
                        Cell.Of(speedup, Unit.Percent), Difference(speedup?.Value, published, Unit.Percent));
                }
            }
        }

        foreach (var (transport, range) in new[] { (Transports.Tcp, PaperFigures.SpeedupRangeTcp), (Transports.Tls, PaperFigures.SpeedupRangeTls) })
        {
            var speedups = Table1Speedups(table1.Where(t => t.Transport == transport).ToList()).Select(s => s.Estimate.Value).ToList();
            table.Add(Cell.Text($"Speedup range, SPDY rows over {Configuration.TransportName(transport)}"), Cell.Text("all"),
                Cell.Text($"{range.Low * 100:0}%–{range.High * 100:0}%"),
                Cell.Text(speedups.Count == 0 ? "no data" : $"{speedups.Min() * 100:0.0}%–{speedups.Max() * 100:0.0}% ({speedups.Count} rows)"),
                Cell.Text(speedups.Count == 0 ? "—" : $"{(speedups.Min() - range.Low) * 100:+0.0;-0.0;0.0} / {(speedups.Max() - range.High) * 100:+0.0;-0.0;0.0} pp"));
        }

        var multiplexed = ok.Where(t => Protocols.IsMultiplexed(t.Protocol)).ToList();
        var up = Saving(multiplexed, t => t.HeaderBytesUpRaw, t => t.HeaderBytesUpWire);
        var down = Saving(multiplexed, t => t.HeaderBytesDownRaw, t => t.HeaderBytesDownWire);
        table.Add(Cell.Text("Header compression, requests (bytes saved)"), Cell.Text("all"), Cell.Number(PaperFigures.RequestHeaderSaving, Unit.Percent),
            LabOrNoData(up, Unit.Percent), Difference(up?.Value, PaperFigures.RequestHeaderSaving, Unit.Percent));
        table.Add(Cell.Text("Header compression, responses (bytes saved)"), Cell.Text("all"), Cell.Number(PaperFigures.ResponseHeaderSaving, Unit.Percent),
            LabOrNoData(down, Unit.Percent), Difference(down?.Value, PaperFigures.ResponseHeaderSaving, Unit.Percent));

        var main = table1.Count > 0 ? table1 : ok;
        var packetPairs = Pairs(main.Where(t => Protocols.IsMultiplexed(t.Protocol)), main, t => Sum(t.PacketsUp, t.PacketsDown));
        var packets = bootstrap.Reduction(packetPairs);
        table.Add(Cell.Text("Fewer packets with SPDY than with HTTP"), Cell.Text("all"), Cell.Number(PaperFigures.PacketReduction, Unit.Percent),
            LabOrNoData(packets, Unit.Percent), Difference(packets?.Value, PaperFigures.PacketReduction, Unit.Percent));

        var lossTrend = SweepSpeedups(table2, t => t.Loss);
        table.Add(Cell.Text("Speedup as packet loss grows (Table 2)"), Cell.Text(Links(table2)), Cell.Text(PaperFigures.LossTrend),
            Cell.Text(lossTrend.Count == 0 ? "no data" : DescribeTrend(lossTrend, v => (v * 100).ToString("0.##", Invariant) + "% loss")), Cell.Text("—"));

        var rtt = SweepSpeedups(table3, t => t.RttMs);
        var at200 = rtt.Count == 0 ? default : rtt.MinBy(p => Math.Abs(p.X - 200));
        table.Add(Cell.Text("Speedup at 200 ms RTT (Table 3)"), Cell.Text(Links(table3)), Cell.Number(PaperFigures.SpeedupAt200MsRtt, Unit.Percent),
            rtt.Count == 0 ? Cell.Text("no data") : Cell.Text($"{Cell.Of(at200.Speedup, Unit.Percent).Display} at {at200.X:0.##} ms"),
            rtt.Count == 0 ? Cell.Text("—") : Difference(at200.Speedup.Value, PaperFigures.SpeedupAt200MsRtt, Unit.Percent));
        section.Notes.Add("The paper's rows are SPDY (draft 2-era) over TCP unless marked; each lab row names the protocol version it ran. " +
                          "The lab's speedup range covers every SPDY row of Table 1 on every link.");
        return section;
    }

    private static Cell LabOrNoData(Estimate? estimate, Unit unit) => estimate is null ? Cell.Text("no data") : Cell.Of(estimate, unit);

    private static Cell Difference(double? lab, double paper, Unit unit)
    {
        if (lab is null)
        {
            return Cell.Text("—");
        }
        var difference = lab.Value - paper;
        return unit == Unit.Percent
            ? Cell.Text($"{difference * 100:+0.0;-0.0;0.0} pp")
            : Cell.Text($"{difference:+0.0;-0.0;0.0} ms ({difference / paper * 100:+0.0;-0.0;0.0}%)");
    }

    /// <summary>"largest speedup 48.1% at 2% loss; 3.0% at 3% loss (the highest)".</summary>
    private static string DescribeTrend(List<(double X, Estimate Speedup)> points, Func<double, string> x)
    {
        var best = points.MaxBy(p => p.Speedup.Value);
        var last = points.MaxBy(p => p.X);
        var first = points.MinBy(p => p.X);
        return $"{first.Speedup.Value * 100:0.0}% at {x(first.X)}; largest {best.Speedup.Value * 100:0.0}% at {x(best.X)}; " +
               $"{last.Speedup.Value * 100:0.0}% at {x(last.X)}";
    }

    /// <summary>Speedup of the sweep's representative SPDY row (basic single-domain if present) at each x.</summary>
    private List<(double X, Estimate Speedup)> SweepSpeedups(List<TrialRecord> trials, Func<TrialRecord, double> x)
    {
        var candidates = trials.Select(Configuration.Of).Distinct().Where(c => !c.IsHttp).OrderBy(c => c).ToList();
        var config = candidates.FirstOrDefault(c => c.Transport == Transports.Tcp && c.DomainMode == DomainModes.Single && c.Feature == Features.None)
                     ?? candidates.FirstOrDefault();
        if (config is null)
        {
            return [];
        }
        var result = new List<(double, Estimate)>();
        foreach (var group in trials.GroupBy(x).OrderBy(g => g.Key))
        {
            var speedup = Speedup(group.Where(t => Configuration.Of(t) == config), group.Where(t => Configuration.Of(t) == config.Baseline), t => t.PltMs);
            if (speedup is not null)
            {
                result.Add((group.Key, speedup));
            }
        }
        return result;
    }

    // ---- Table 1 ------------------------------------------------------------------------------------

    private ReportSection Table1(List<TrialRecord> trials)
    {
        var section = new ReportSection("table1", "Table 1: average page load time")
        {
            Intro = "Average page load time per configuration and link, with the speedup over HTTP on paired loads " +
                    "(the paper's Table 1: 1% loss, TCP rows and SSL rows).",
        };
        if (trials.Count == 0)
        {
            section.Notes.Add("No Table 1 data in this database (no ok trials with design 'table1'); section omitted.");
            return section;
        }
        var links = OrderLinks(trials);
        var headers = new List<string> { "Transport", "Configuration" };
        foreach (var link in links)
        {
            headers.Add($"{LinkTitle(trials, link)} PLT (ms)");
            headers.Add($"{LinkName(link)} speedup");
        }
        var table = new ReportTable("table1", "Table 1: average page load time (ms) and speedup over HTTP", headers);
        var configurations = trials.Select(Configuration.Of).Distinct().OrderBy(c => c).ToList();
        var chartSeries = links.Select(_ => new List<Estimate?>()).ToList();
        foreach (var config in configurations)
        {
            var cells = new List<Cell> { Cell.Text(Configuration.TransportName(config.Transport)), Cell.Text(config.Label) };
            for (var l = 0; l < links.Count; l++)
            {
                var loads = trials.Where(t => t.Link == links[l] && Configuration.Of(t) == config).ToList();
                var plt = bootstrap.Mean(loads.Select(t => t.PltMs!.Value).ToList());
                chartSeries[l].Add(plt);
                cells.Add(Cell.Of(plt, Unit.Milliseconds));
                cells.Add(config.IsHttp && config == config.Baseline
                    ? Cell.Text("baseline")
                    : Cell.Of(Speedup(loads, trials.Where(t => t.Link == links[l] && Configuration.Of(t) == config.Baseline), t => t.PltMs), Unit.Percent));
            }
            table.Add([.. cells]);
        }
        section.Tables.Add(table);
        section.Charts.Add(new BarChart("table1-plt", "Table 1: average page load time by configuration")
        {
            Subtitle = "bars: mean page load time; error bars: 95% bootstrap CI",
            Categories = configurations.Select(c => c.FullLabel).ToList(),
            Series = links.Select((link, i) => (LinkTitle(trials, link), (IReadOnlyList<Estimate?>)chartSeries[i])).ToList(),
            ValueLabel = "page load time (ms)",
            FormatValue = v => v.ToString("N0", Invariant),
            Breaks = TransportBreaks(configurations),
        });
        return section;
    }

    /// <summary>Every non-baseline row's speedup on every link of Table 1.</summary>
    private List<(Configuration Config, string Link, Estimate Estimate)> Table1Speedups(List<TrialRecord> trials)
    {
        var result = new List<(Configuration, string, Estimate)>();
        foreach (var link in OrderLinks(trials))
        {
            var onLink = trials.Where(t => t.Link == link).ToList();
            foreach (var config in onLink.Select(Configuration.Of).Distinct().Where(c => !c.IsHttp).OrderBy(c => c))
            {
                if (Speedup(onLink.Where(t => Configuration.Of(t) == config), onLink.Where(t => Configuration.Of(t) == config.Baseline), t => t.PltMs) is { } s)
                {
                    result.Add((config, link, s));
                }
            }
        }
        return result;
    }

    // ---- Tables 2 and 3 -----------------------------------------------------------------------------

    private ReportSection Sweep(List<TrialRecord> trials, string id, string title, Func<TrialRecord, double> x, string xLabel,
        (double Factor, string Suffix) xTicks, string xName, Func<double, string> formatX)
    {
        var section = new ReportSection(id, title)
        {
            Intro = $"Average page load time per {xName} and configuration, with the speedup over HTTP on paired loads.",
        };
        if (trials.Count == 0)
        {
            section.Notes.Add($"No {title[..7]} data in this database (no ok trials with design '{id}'); section omitted.");
            return section;
        }
        var links = OrderLinks(trials);
        var configurations = trials.Select(Configuration.Of).Distinct().OrderBy(c => c).ToList();
        var candidates = configurations.Where(c => !c.IsHttp || c != c.Baseline).ToList();
        var headers = new List<string> { "Link", char.ToUpperInvariant(xName[0]) + xName[1..] };
        headers.AddRange(configurations.Select(c => $"{c.FullLabel} PLT (ms)"));
        headers.AddRange(candidates.Select(c => $"{c.FullLabel} speedup"));
        var table = new ReportTable(id, title, headers);
        var pltSeries = new Dictionary<(Configuration, string), List<(double, Estimate)>>();
        var speedupSeries = new Dictionary<(Configuration, string), List<(double, Estimate)>>();
        foreach (var link in links)
        {
            foreach (var group in trials.Where(t => t.Link == link).GroupBy(x).OrderBy(g => g.Key))
            {
                var cells = new List<Cell> { Cell.Text(LinkName(link)), Cell.Text(formatX(group.Key)) };
                foreach (var config in configurations)
                {
                    var plt = bootstrap.Mean(group.Where(t => Configuration.Of(t) == config).Select(t => t.PltMs!.Value).ToList());
                    cells.Add(Cell.Of(plt, Unit.Milliseconds));
                    if (plt is not null)
                    {
                        Append(pltSeries, (config, link), (group.Key, plt));
                    }
                }
                foreach (var config in candidates)
                {
                    var speedup = Speedup(group.Where(t => Configuration.Of(t) == config), group.Where(t => Configuration.Of(t) == config.Baseline), t => t.PltMs);
                    cells.Add(Cell.Of(speedup, Unit.Percent));
                    if (speedup is not null)
                    {
                        Append(speedupSeries, (config, link), (group.Key, speedup));
                    }
                }
                table.Add([.. cells]);
            }
        }
        section.Tables.Add(table);
        string Name((Configuration Config, string Link) key) => links.Count > 1 ? $"{key.Config.FullLabel}, {LinkName(key.Link)}" : key.Config.FullLabel;
        var linkText = string.Join(", ", links.Select(l => LinkTitle(trials, l)));
        section.Charts.Add(new LineChart($"{id}-plt", $"{title[..7]}: page load time by {xName} ({linkText})")
        {
            Subtitle = "lines: mean page load time; error bars: 95% bootstrap CI",
            Series = pltSeries.Select(s => (Name(s.Key), (IReadOnlyList<(double, Estimate)>)s.Value)).ToList(),
            Colors = pltSeries.Keys.Select(k => ColorOf(k.Item1)).ToList(),
            Dashed = Indices(pltSeries.Keys.Select(k => k.Item1.Transport == Transports.Tls)),
            XLabel = xLabel,
            YLabel = "page load time (ms)",
            XTicks = xTicks,
        });
        if (speedupSeries.Count > 0)
        {
            section.Charts.Add(new LineChart($"{id}-speedup", $"{title[..7]}: speedup over HTTP by {xName} ({linkText})")
            {
                Subtitle = "lines: 1 − mean PLT / mean HTTP PLT on paired loads; error bars: 95% bootstrap CI",
                Series = speedupSeries.Select(s => (Name(s.Key), (IReadOnlyList<(double, Estimate)>)s.Value)).ToList(),
                Colors = speedupSeries.Keys.Select(k => ColorOf(k.Item1)).ToList(),
                Dashed = Indices(speedupSeries.Keys.Select(k => k.Item1.Transport == Transports.Tls)),
                XLabel = xLabel,
                YLabel = "speedup over HTTP (%)",
                XTicks = xTicks,
                YTicks = (100, "%"),
            });
        }
        return section;
    }

    private static HashSet<int> Indices(IEnumerable<bool> flags) => flags.Select((f, i) => (f, i)).Where(x => x.f).Select(x => x.i).ToHashSet();

    /// <summary>Where the rows change transport (TCP to TLS), for a separator in the bar charts.</summary>
    private static HashSet<int> TransportBreaks(List<Configuration> configurations) =>
        Enumerable.Range(1, Math.Max(0, configurations.Count - 1)).Where(i => configurations[i].Transport != configurations[i - 1].Transport).ToHashSet();

    private static void Append<TKey>(Dictionary<TKey, List<(double, Estimate)>> series, TKey key, (double, Estimate) point) where TKey : notnull
    {
        if (!series.TryGetValue(key, out var list))
        {
            series[key] = list = [];
        }
        list.Add(point);
    }

    // ---- Header compression -------------------------------------------------------------------------

    private ReportSection HeaderCompression(List<TrialRecord> ok)
    {
        var section = new ReportSection("headers", "Header compression")
        {
            Intro = "Header bytes per page load before compression (raw, HTTP/1.1 text form) and on the wire; " +
                    "saved = 1 − wire / raw over all loads of the protocol.",
        };
        var measured = ok.Where(t => t.HeaderBytesUpRaw > 0 && t.HeaderBytesUpWire is not null).ToList();
        if (measured.Count == 0)
        {
            section.Notes.Add("No header byte counts in this database (header_bytes_* are empty); section omitted.");
            return section;
        }
        var table = new ReportTable("headers", "Header bytes per page load and the share saved by compression",
        [
            "Protocol", "Request headers raw (B)", "Request headers wire (B)", "Requests saved",
            "Response headers raw (B)", "Response headers wire (B)", "Responses saved",
        ]);
        foreach (var group in measured.GroupBy(t => t.Protocol).OrderBy(g => Protocols.All.IndexOf(g.Key)))
        {
            var loads = group.ToList();
            table.Add(Cell.Text(Configuration.ProtocolName(group.Key) + (group.Key == Protocols.Http11 ? "" : $" ({group.Key})")),
                Cell.Of(MeanOf(loads, t => t.HeaderBytesUpRaw), Unit.Count), Cell.Of(MeanOf(loads, t => t.HeaderBytesUpWire), Unit.Count),
                Cell.Of(Saving(loads, t => t.HeaderBytesUpRaw, t => t.HeaderBytesUpWire), Unit.Percent),
                Cell.Of(MeanOf(loads, t => t.HeaderBytesDownRaw), Unit.Count), Cell.Of(MeanOf(loads, t => t.HeaderBytesDownWire), Unit.Count),
                Cell.Of(Saving(loads, t => t.HeaderBytesDownRaw, t => t.HeaderBytesDownWire), Unit.Percent));
        }
        section.Tables.Add(table);
        return section;
    }

    private Estimate? Saving(IEnumerable<TrialRecord> trials, Func<TrialRecord, long?> raw, Func<TrialRecord, long?> wire) =>
        bootstrap.Reduction(trials.Where(t => raw(t) > 0 && wire(t) is not null).Select(t => ((double)raw(t)!.Value, (double)wire(t)!.Value)).ToList());

    private Estimate? MeanOf(IEnumerable<TrialRecord> trials, Func<TrialRecord, double?> value) =>
        bootstrap.Mean(trials.Select(value).Where(v => v is not null).Select(v => v!.Value).ToList());

    private Estimate? MeanOf(IEnumerable<TrialRecord> trials, Func<TrialRecord, long?> value) => MeanOf(trials, t => (double?)value(t));

    // ---- Packets and bytes --------------------------------------------------------------------------

    private ReportSection PacketsAndBytes(List<TrialRecord> trials, bool allTrials)
    {
        var section = new ReportSection("packets", "Packets and bytes: HTTP vs SPDY")
        {
            Intro = "IP packets and bytes per page load in both directions, counted by the link emulator; " +
                    "reduction = 1 − SPDY / HTTP on paired loads.",
        };
        var measured = trials.Where(t => t.PacketsUp is not null || t.PacketsDown is not null).ToList();
        if (measured.Count == 0)
        {
            section.Notes.Add("No link counters in this database (packets_* are empty); section omitted.");
            return section;
        }
        if (allTrials)
        {
            section.Notes.Add("No Table 1 trials: computed over every ok trial.");
        }
        var table = new ReportTable("packets", "Packets and bytes per page load",
            ["Link", "Configuration", "Packets", "Fewer packets than HTTP", "Link bytes", "Fewer bytes than HTTP", "Connections"]);
        foreach (var link in OrderLinks(measured))
        {
            var onLink = measured.Where(t => t.Link == link).ToList();
            foreach (var config in onLink.Select(Configuration.Of).Distinct().OrderBy(c => c))
            {
                var loads = onLink.Where(t => Configuration.Of(t) == config).ToList();
                var baseline = onLink.Where(t => Configuration.Of(t) == config.Baseline).ToList();
                var isBaseline = config == config.Baseline;
                table.Add(Cell.Text(LinkName(link)), Cell.Text(config.FullLabel),
                    Cell.Of(MeanOf(loads, t => Sum(t.PacketsUp, t.PacketsDown)), Unit.Count),
                    isBaseline ? Cell.Text("baseline") : Cell.Of(Speedup(loads, baseline, t => Sum(t.PacketsUp, t.PacketsDown)), Unit.Percent),
                    Cell.Of(MeanOf(loads, t => Sum(t.LinkBytesUp, t.LinkBytesDown)), Unit.Count),
                    isBaseline ? Cell.Text("baseline") : Cell.Of(Speedup(loads, baseline, t => Sum(t.LinkBytesUp, t.LinkBytesDown)), Unit.Percent),
                    Cell.Of(MeanOf(loads, t => (double?)t.Connections), Unit.Count));
            }
        }
        section.Tables.Add(table);
        return section;
    }

    private static double? Sum(long? a, long? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);

    // ---- Lower bound --------------------------------------------------------------------------------

    private ReportSection LowerBound(List<TrialRecord> trials, bool allTrials)
    {
        var section = new ReportSection("lower-bound", "Page load time against the physical lower bound")
        {
            Intro = "Page load time as a multiple of the load's physical lower bound on its link (every byte at the link rate " +
                    "plus the round trips its dependency chain needs): 1× is a perfect protocol.",
        };
        var measured = trials.Where(t => t.LowerBoundMs > 0).ToList();
        if (measured.Count == 0)
        {
            section.Notes.Add("No lower bounds in this database (lower_bound_ms is empty); section omitted.");
            return section;
        }
        if (allTrials)
        {
            section.Notes.Add("No Table 1 trials: computed over every ok trial.");
        }
        var links = OrderLinks(measured);
        var configurations = measured.Select(Configuration.Of).Distinct().OrderBy(c => c).ToList();
        var headers = new List<string> { "Configuration" };
        headers.AddRange(links.Select(l => $"{LinkName(l)} PLT / lower bound"));
        var table = new ReportTable("lower-bound", "Page load time as a multiple of the lower bound", headers);
        var series = links.Select(_ => new List<Estimate?>()).ToList();
        foreach (var config in configurations)
        {
            var cells = new List<Cell> { Cell.Text(config.FullLabel) };
            for (var l = 0; l < links.Count; l++)
            {
                var ratio = bootstrap.Mean(measured.Where(t => t.Link == links[l] && Configuration.Of(t) == config)
                    .Select(t => t.PltMs!.Value / t.LowerBoundMs!.Value).ToList());
                series[l].Add(ratio);
                cells.Add(Cell.Of(ratio, Unit.Ratio));
            }
            table.Add([.. cells]);
        }
        section.Tables.Add(table);
        section.Charts.Add(new BarChart("lower-bound", "Page load time as a multiple of the physical lower bound")
        {
            Subtitle = "bars: mean of PLT / lower bound per load; error bars: 95% bootstrap CI; dashed line: the bound itself",
            Categories = configurations.Select(c => c.FullLabel).ToList(),
            Series = links.Select((link, i) => (LinkTitle(measured, link), (IReadOnlyList<Estimate?>)series[i])).ToList(),
            ValueLabel = "page load time / lower bound (×)",
            FormatValue = v => v.ToString("0.00", Invariant) + "×",
            Reference = (1, "lower bound"),
            Breaks = TransportBreaks(configurations),
        });
        return section;
    }

    // ---- Per site -----------------------------------------------------------------------------------

    private ReportSection PerSite(List<TrialRecord> trials, bool allTrials)
    {
        var section = new ReportSection("per-site", "Per site")
        {
            Intro = "HTTP page load time per site and link, and each configuration's speedup over HTTP on that site's paired runs; " +
                    "the chart shows how the per-site speedups are distributed.",
        };
        if (trials.Count == 0)
        {
            section.Notes.Add("No trials; section omitted.");
            return section;
        }
        if (allTrials)
        {
            section.Notes.Add("No Table 1 trials: computed over every ok trial (conditions may differ between rows).");
        }
        var links = OrderLinks(trials);
        var configurations = trials.Select(Configuration.Of).Distinct().OrderBy(c => c).ToList();
        var baselines = configurations.Where(c => c == c.Baseline).ToList();
        var candidates = configurations.Where(c => c != c.Baseline).ToList();
        var headers = new List<string> { "Site", "Link" };
        headers.AddRange(baselines.Select(c => $"{c.FullLabel} PLT (ms)"));
        headers.AddRange(candidates.Select(c => $"{c.FullLabel} speedup"));
        var table = new ReportTable("per-site", "Per-site page load time and speedup over HTTP", headers);
        var distributions = candidates.ToDictionary(c => c, _ => new List<double>());
        foreach (var site in trials.Select(t => t.Site).Distinct().Order(StringComparer.Ordinal))
        {
            foreach (var link in links)
            {
                var loads = trials.Where(t => t.Site == site && t.Link == link).ToList();
                if (loads.Count == 0)
                {
                    continue;
                }
                var cells = new List<Cell> { Cell.Text(site), Cell.Text(LinkName(link)) };
                cells.AddRange(baselines.Select(b => Cell.Of(bootstrap.Mean(loads.Where(t => Configuration.Of(t) == b).Select(t => t.PltMs!.Value).ToList()), Unit.Milliseconds)));
                foreach (var config in candidates)
                {
                    var speedup = Speedup(loads.Where(t => Configuration.Of(t) == config), loads.Where(t => Configuration.Of(t) == config.Baseline), t => t.PltMs);
                    cells.Add(Cell.Of(speedup, Unit.Percent));
                    if (speedup is not null)
                    {
                        distributions[config].Add(speedup.Value);
                    }
                }
                table.Add([.. cells]);
            }
        }
        section.Tables.Add(table);
        var drawn = distributions.Where(d => d.Value.Count > 0).Select(d => d.Key).ToList();
        var cdf = distributions.Where(d => d.Value.Count > 0).Select(d =>
        {
            var sorted = d.Value.Order().ToList();
            var points = sorted.Select((v, i) => (v, new Estimate((i + 1.0) / sorted.Count, (i + 1.0) / sorted.Count, (i + 1.0) / sorted.Count, sorted.Count)));
            return (d.Key.FullLabel, (IReadOnlyList<(double, Estimate)>)points.ToList());
        }).ToList();
        if (cdf.Count > 0)
        {
            section.Charts.Add(new LineChart("speedup-cdf", "Distribution of per-site speedups over HTTP")
            {
                Subtitle = $"empirical CDF over sites × links ({string.Join(", ", links.Select(LinkName))}); each step is one site on one link",
                Series = cdf,
                Colors = drawn.Select(ColorOf).ToList(),
                Dashed = Indices(drawn.Select(c => c.Transport == Transports.Tls)),
                XLabel = "speedup over HTTP (%), per site (mean of paired runs)",
                YLabel = "fraction of sites",
                XTicks = (100, "%"),
                YTicks = (100, "%"),
                Step = true,
            });
        }
        return section;
    }

    // ---- Waterfall ----------------------------------------------------------------------------------

    private static ReportSection Waterfall(List<TrialRecord> trials, Func<string, string> resolveArtifact)
    {
        var section = new ReportSection("waterfall", "A page load, request by request")
        {
            Intro = "The request waterfall of one load per client (the built-in client and Chromium, where a trial kept its HAR file), " +
                    "from HAR 1.2 startedDateTime and timings.",
        };
        // Prefer the paper's headline row: SPDY single-domain over TCP, on DSL, then anything with a HAR.
        var withHar = trials.Where(t => t.HarPath is not null && File.Exists(resolveArtifact(t.HarPath)))
            .OrderBy(t => t.Design == Designs.Table1 ? 0 : 1)
            .ThenBy(t => Protocols.IsMultiplexed(t.Protocol) && t.DomainMode == DomainModes.Single && t.Feature == Features.None ? 0 : 1)
            .ThenBy(t => t.Transport == Transports.Tcp ? 0 : 1)
            .ThenBy(t => t.Link.Equals("dsl", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(t => t.Site, StringComparer.Ordinal).ThenBy(t => t.RunIndex)
            .ToList();
        foreach (var (client, id, clientName) in new[] { (Clients.Builtin, "waterfall", "built-in client"), (Clients.Chromium, "waterfall-chromium", "Chromium") })
        {
            foreach (var trial in withHar.Where(t => t.Client == client))
            {
                IReadOnlyList<WaterfallEntry> entries;
                try
                {
                    entries = HarTimeline.Read(resolveArtifact(trial.HarPath!));
                }
                catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    section.Notes.Add($"Skipped {trial.HarPath}: {e.Message}");
                    continue;
                }
                if (entries.Count == 0)
                {
                    continue;
                }
                var config = Configuration.Of(trial);
                section.Charts.Add(new WaterfallChart(id, $"Request waterfall: {trial.Site}, {config.FullLabel}")
                {
                    Subtitle = $"{clientName}, {LinkName(trial.Link)}, run {trial.RunIndex}; {entries.Count} requests; page load time {trial.PltMs:0} ms; one row per request, coloured by HAR phase",
                    Entries = entries,
                });
                break;
            }
        }
        if (section.Charts.Count == 0)
        {
            section.Notes.Add("No HAR files found for this database's trials (har_path empty or the files are gone); waterfall omitted.");
        }
        return section;
    }

    // ---- All configurations -------------------------------------------------------------------------

    private ReportSection AllConfigurations(IReadOnlyList<TrialRecord> trials)
    {
        var section = new ReportSection("configurations", "Every configuration")
        {
            Intro = "Every combination of design, link, RTT, loss and configuration in the database, whatever the design.",
        };
        var table = new ReportTable("configurations", "Every configuration in the database",
            ["Design", "Link", "RTT (ms)", "Loss", "Configuration", "PLT (ms)", "TTFB (ms)", "Requests", "Connections", "Failed"]);
        var groups = trials.GroupBy(t => (t.Design, t.Link, t.RttMs, t.Loss, Config: Configuration.Of(t)))
            .OrderBy(g => Designs.All.IndexOf(g.Key.Design)).ThenBy(g => LinkOrder(g.Key.Link)).ThenBy(g => g.Key.Link, StringComparer.Ordinal)
            .ThenBy(g => g.Key.RttMs).ThenBy(g => g.Key.Loss).ThenBy(g => g.Key.Config);
        foreach (var group in groups)
        {
            var ok = group.Where(t => t.IsOk && t.PltMs is not null).ToList();
            table.Add(Cell.Text(group.Key.Design), Cell.Text(LinkName(group.Key.Link)), Cell.Number(group.Key.RttMs, Unit.Count),
                Cell.Number(group.Key.Loss, Unit.Percent), Cell.Text(group.Key.Config.FullLabel),
                Cell.Of(bootstrap.Mean(ok.Select(t => t.PltMs!.Value).ToList()), Unit.Milliseconds),
                Cell.Of(MeanOf(ok, t => t.TtfbMs), Unit.Milliseconds),
                Cell.Of(MeanOf(ok, t => (double?)t.Requests), Unit.Count),
                Cell.Of(MeanOf(ok, t => (double?)t.Connections), Unit.Count),
                Cell.Number(group.Count(t => !t.IsOk), Unit.Count));
        }
        if (table.Rows.Count == 0)
        {
            section.Notes.Add("The database holds no trials.");
            return section;
        }
        section.Tables.Add(table);
        return section;
    }

    // ---- Helpers ------------------------------------------------------------------------------------

    /// <summary>1 − Σcandidate / Σbaseline over loads paired by <see cref="PairKey"/>; null without pairs.</summary>
    internal Estimate? Speedup(IEnumerable<TrialRecord> candidate, IEnumerable<TrialRecord> baseline, Func<TrialRecord, double?> metric) =>
        bootstrap.Reduction(Pairs(candidate, baseline, metric));

    private static List<(double Baseline, double Candidate)> Pairs(IEnumerable<TrialRecord> candidate, IEnumerable<TrialRecord> baseline, Func<TrialRecord, double?> metric)
    {
        var baselineByKey = new Dictionary<(PairKey, string, string), double>();
        foreach (var t in baseline)
        {
            if (Configuration.Of(t) == Configuration.Of(t).Baseline && metric(t) is { } value)
            {
                baselineByKey.TryAdd((PairKey.Of(t), t.Transport, t.Client), value);
            }
        }
        var pairs = new List<(double, double)>();
        foreach (var t in candidate)
        {
            if (Configuration.Of(t) != Configuration.Of(t).Baseline && metric(t) is { } value
                && baselineByKey.TryGetValue((PairKey.Of(t), t.Transport, t.Client), out var b))
            {
                pairs.Add((b, value));
            }
        }
        return pairs;
    }

    private static List<string> OrderLinks(IEnumerable<TrialRecord> trials) =>
        trials.Select(t => t.Link).Distinct().OrderBy(LinkOrder).ThenBy(l => l, StringComparer.Ordinal).ToList();

    internal static int LinkOrder(string link) => link.ToLowerInvariant() switch { "dsl" => 0, "cable" => 1, _ => 2 };

    private static string Links(List<TrialRecord> trials) => trials.Count == 0 ? "—" : string.Join(", ", OrderLinks(trials).Select(LinkName));

    internal static string LinkName(string link) => link.ToLowerInvariant() switch
    {
        "dsl" => "DSL",
        "cable" => "Cable",
        _ => link,
    };

    /// <summary>"DSL 2/0.375 Mbit/s": the link's name and its rates, as the data recorded them.</summary>
    private static string LinkTitle(IEnumerable<TrialRecord> trials, string link)
    {
        var sample = trials.First(t => t.Link == link);
        return $"{LinkName(link)} {Rate(sample.DownBps)}/{Rate(sample.UpBps)} Mbit/s";
    }

    private static string Rate(long bps) => (bps / 1e6).ToString("0.###", Invariant);
}
