using System.Globalization;

namespace SpdyLab.Results;

/// <summary>How a column is stored in SQLite and written in CSV.</summary>
public enum ColumnKind { Integer, Real, Text, Timestamp }

/// <summary>
/// One column of the <c>trials</c> table: its name, how it is stored, whether it may be null, and how it
/// maps to <see cref="TrialRecord"/>. The schema (DDL), the insert, the reader and the CSV export all
/// come from this one list, so a new column is one line here (plus docs/results.md and a schema version bump).
/// </summary>
public sealed class TrialColumn
{
    internal TrialColumn(string name, ColumnKind kind, bool nullable, Func<TrialRecord, object?> get, Action<TrialRecord, object?> set)
    {
        Name = name;
        Kind = kind;
        Nullable = nullable;
        Get = get;
        Set = set;
    }

    public string Name { get; }
    public ColumnKind Kind { get; }
    public bool Nullable { get; }
    /// <summary>The value as stored: long, double, string (timestamps as ISO 8601 UTC text), or null.</summary>
    public Func<TrialRecord, object?> Get { get; }
    /// <summary>Sets the property from a stored value (long, double, string or null).</summary>
    public Action<TrialRecord, object?> Set { get; }

    public string SqlType => Kind switch
    {
        ColumnKind.Integer => "INTEGER",
        ColumnKind.Real => "REAL",
        _ => "TEXT",
    };

    /// <summary>The value as invariant-culture text (CSV); empty for null.</summary>
    public string Format(TrialRecord record) => Get(record) switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        var other => Convert.ToString(other, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>The columns of the <c>trials</c> table, in table order (documented in docs/results.md).</summary>
public static class TrialColumns
{
    public static readonly IReadOnlyList<TrialColumn> All =
    [
        Int64("id", r => r.Id, (r, v) => r.Id = v),
        Text("experiment", r => r.Experiment, (r, v) => r.Experiment = v),
        Text("trial_key", r => r.TrialKey, (r, v) => r.TrialKey = v),
        Text("design", r => r.Design, (r, v) => r.Design = v),
        Time("started_at", r => r.StartedAt, (r, v) => r.StartedAt = v),
        TimeN("finished_at", r => r.FinishedAt, (r, v) => r.FinishedAt = v),
        Text("status", r => r.Status, (r, v) => r.Status = v),
        TextN("error", r => r.Error, (r, v) => r.Error = v),
        Text("site", r => r.Site, (r, v) => r.Site = v),
        Int32("run_index", r => r.RunIndex, (r, v) => r.RunIndex = v),
        Int64("seed", r => r.Seed, (r, v) => r.Seed = v),
        Text("link", r => r.Link, (r, v) => r.Link = v),
        Int64("down_bps", r => r.DownBps, (r, v) => r.DownBps = v),
        Int64("up_bps", r => r.UpBps, (r, v) => r.UpBps = v),
        Real("rtt_ms", r => r.RttMs, (r, v) => r.RttMs = v),
        Real("loss", r => r.Loss, (r, v) => r.Loss = v),
        Text("loss_model", r => r.LossModel, (r, v) => r.LossModel = v),
        Text("queue", r => r.Queue, (r, v) => r.Queue = v),
        Text("protocol", r => r.Protocol, (r, v) => r.Protocol = v),
        Text("transport", r => r.Transport, (r, v) => r.Transport = v),
        Text("domain_mode", r => r.DomainMode, (r, v) => r.DomainMode = v),
        Text("feature", r => r.Feature, (r, v) => r.Feature = v),
        Text("client", r => r.Client, (r, v) => r.Client = v),
        Int32N("parallel", r => r.Parallel, (r, v) => r.Parallel = v),
        RealN("plt_ms", r => r.PltMs, (r, v) => r.PltMs = v),
        RealN("ttfb_ms", r => r.TtfbMs, (r, v) => r.TtfbMs = v),
        RealN("dcl_ms", r => r.DclMs, (r, v) => r.DclMs = v),
        RealN("onload_ms", r => r.OnloadMs, (r, v) => r.OnloadMs = v),
        RealN("lower_bound_ms", r => r.LowerBoundMs, (r, v) => r.LowerBoundMs = v),
        Int32N("requests", r => r.Requests, (r, v) => r.Requests = v),
        Int32N("connections", r => r.Connections, (r, v) => r.Connections = v),
        Int32N("pushes_used", r => r.PushesUsed, (r, v) => r.PushesUsed = v),
        Int32N("pushes_wasted", r => r.PushesWasted, (r, v) => r.PushesWasted = v),
        Int64N("bytes_up", r => r.BytesUp, (r, v) => r.BytesUp = v),
        Int64N("bytes_down", r => r.BytesDown, (r, v) => r.BytesDown = v),
        Int64N("header_bytes_up_raw", r => r.HeaderBytesUpRaw, (r, v) => r.HeaderBytesUpRaw = v),
        Int64N("header_bytes_up_wire", r => r.HeaderBytesUpWire, (r, v) => r.HeaderBytesUpWire = v),
        Int64N("header_bytes_down_raw", r => r.HeaderBytesDownRaw, (r, v) => r.HeaderBytesDownRaw = v),
        Int64N("header_bytes_down_wire", r => r.HeaderBytesDownWire, (r, v) => r.HeaderBytesDownWire = v),
        Int64N("body_bytes_up", r => r.BodyBytesUp, (r, v) => r.BodyBytesUp = v),
        Int64N("body_bytes_down", r => r.BodyBytesDown, (r, v) => r.BodyBytesDown = v),
        Int64N("packets_up", r => r.PacketsUp, (r, v) => r.PacketsUp = v),
        Int64N("packets_down", r => r.PacketsDown, (r, v) => r.PacketsDown = v),
        Int64N("link_bytes_up", r => r.LinkBytesUp, (r, v) => r.LinkBytesUp = v),
        Int64N("link_bytes_down", r => r.LinkBytesDown, (r, v) => r.LinkBytesDown = v),
        Int64N("drops_loss_up", r => r.DropsLossUp, (r, v) => r.DropsLossUp = v),
        Int64N("drops_loss_down", r => r.DropsLossDown, (r, v) => r.DropsLossDown = v),
        Int64N("drops_queue_up", r => r.DropsQueueUp, (r, v) => r.DropsQueueUp = v),
        Int64N("drops_queue_down", r => r.DropsQueueDown, (r, v) => r.DropsQueueDown = v),
        Int64N("pcap_packets_up", r => r.PcapPacketsUp, (r, v) => r.PcapPacketsUp = v),
        Int64N("pcap_packets_down", r => r.PcapPacketsDown, (r, v) => r.PcapPacketsDown = v),
        Int64N("pcap_bytes_up", r => r.PcapBytesUp, (r, v) => r.PcapBytesUp = v),
        Int64N("pcap_bytes_down", r => r.PcapBytesDown, (r, v) => r.PcapBytesDown = v),
        Int64N("pcap_header_bytes_up", r => r.PcapHeaderBytesUp, (r, v) => r.PcapHeaderBytesUp = v),
        Int64N("pcap_header_bytes_down", r => r.PcapHeaderBytesDown, (r, v) => r.PcapHeaderBytesDown = v),
        Int32N("pcap_connections", r => r.PcapConnections, (r, v) => r.PcapConnections = v),
        Int32N("pcap_syn_retransmissions", r => r.PcapSynRetransmissions, (r, v) => r.PcapSynRetransmissions = v),
        RealN("pcap_syn_wait_ms", r => r.PcapSynWaitMs, (r, v) => r.PcapSynWaitMs = v),
        Int64N("pcap_retransmissions_up", r => r.PcapRetransmissionsUp, (r, v) => r.PcapRetransmissionsUp = v),
        Int64N("pcap_retransmissions_down", r => r.PcapRetransmissionsDown, (r, v) => r.PcapRetransmissionsDown = v),
        Int64N("pcap_recoveries_fast", r => r.PcapRecoveriesFast, (r, v) => r.PcapRecoveriesFast = v),
        Int64N("pcap_recoveries_timeout", r => r.PcapRecoveriesTimeout, (r, v) => r.PcapRecoveriesTimeout = v),
        Int64N("pcap_recoveries_other", r => r.PcapRecoveriesOther, (r, v) => r.PcapRecoveriesOther = v),
        TextN("har_path", r => r.HarPath, (r, v) => r.HarPath = v),
        TextN("pcap_path", r => r.PcapPath, (r, v) => r.PcapPath = v),
    ];

    public static TrialColumn Get(string name) =>
        All.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException($"no column '{name}' in trials");

    internal static string FormatTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static TrialColumn Text(string name, Func<TrialRecord, string> get, Action<TrialRecord, string> set) =>
        new(name, ColumnKind.Text, false, r => get(r), (r, v) => set(r, (string)v!));

    private static TrialColumn TextN(string name, Func<TrialRecord, string?> get, Action<TrialRecord, string?> set) =>
        new(name, ColumnKind.Text, true, r => get(r), (r, v) => set(r, (string?)v));

    private static TrialColumn Int64(string name, Func<TrialRecord, long> get, Action<TrialRecord, long> set) =>
        new(name, ColumnKind.Integer, false, r => get(r), (r, v) => set(r, Convert.ToInt64(v, CultureInfo.InvariantCulture)));

    private static TrialColumn Int64N(string name, Func<TrialRecord, long?> get, Action<TrialRecord, long?> set) =>
        new(name, ColumnKind.Integer, true, r => get(r), (r, v) => set(r, v is null ? null : Convert.ToInt64(v, CultureInfo.InvariantCulture)));

    private static TrialColumn Int32(string name, Func<TrialRecord, int> get, Action<TrialRecord, int> set) =>
        new(name, ColumnKind.Integer, false, r => (long)get(r), (r, v) => set(r, Convert.ToInt32(v, CultureInfo.InvariantCulture)));

    private static TrialColumn Int32N(string name, Func<TrialRecord, int?> get, Action<TrialRecord, int?> set) =>
        new(name, ColumnKind.Integer, true, r => (long?)get(r), (r, v) => set(r, v is null ? null : Convert.ToInt32(v, CultureInfo.InvariantCulture)));

    private static TrialColumn Real(string name, Func<TrialRecord, double> get, Action<TrialRecord, double> set) =>
        new(name, ColumnKind.Real, false, r => get(r), (r, v) => set(r, Convert.ToDouble(v, CultureInfo.InvariantCulture)));

    private static TrialColumn RealN(string name, Func<TrialRecord, double?> get, Action<TrialRecord, double?> set) =>
        new(name, ColumnKind.Real, true, r => get(r), (r, v) => set(r, v is null ? null : Convert.ToDouble(v, CultureInfo.InvariantCulture)));

    private static TrialColumn Time(string name, Func<TrialRecord, DateTimeOffset> get, Action<TrialRecord, DateTimeOffset> set) =>
        new(name, ColumnKind.Timestamp, false, r => FormatTime(get(r)), (r, v) => set(r, ParseTime((string)v!)));

    private static TrialColumn TimeN(string name, Func<TrialRecord, DateTimeOffset?> get, Action<TrialRecord, DateTimeOffset?> set) =>
        new(name, ColumnKind.Timestamp, true, r => get(r) is { } t ? FormatTime(t) : null, (r, v) => set(r, v is null ? null : ParseTime((string)v)));
}
