using SpdyLab.Reports.Charts;
using SpdyLab.Reports.Tables;

namespace SpdyLab.Reports.Analysis;

/// <summary>One part of the report (Table 1, header compression...): its tables, charts and notes.</summary>
public sealed class ReportSection(string id, string title)
{
    public string Id { get; } = id;
    public string Title { get; } = title;
    /// <summary>What the section shows and how it is computed, in a sentence or two.</summary>
    public string? Intro { get; init; }
    public List<ReportTable> Tables { get; } = [];
    public List<Chart> Charts { get; } = [];
    /// <summary>Why something is missing (no data for it in this database), or caveats.</summary>
    public List<string> Notes { get; } = [];
}

/// <summary>Everything a report shows, computed from one results database; rendered by <see cref="Rendering.ReportWriter"/>.</summary>
public sealed class Report
{
    public required string Title { get; init; }
    public required IReadOnlyDictionary<string, string> Meta { get; init; }
    public required int Trials { get; init; }
    public required int FailedTrials { get; init; }
    public required string Method { get; init; }
    public List<ReportSection> Sections { get; } = [];

    public IEnumerable<ReportTable> AllTables => Sections.SelectMany(s => s.Tables);
    public IEnumerable<Chart> AllCharts => Sections.SelectMany(s => s.Charts);
}
