namespace SpdyLab.Results;

/// <summary>
/// One page load ("a trial"): every parameter that made it, the seed that makes it reproducible,
/// what the client measured and what the link counted. One row of the <c>trials</c> table; the
/// columns and their meaning are listed in <see cref="TrialColumns"/> and docs/results.md.
/// Metrics are null when they were not measured (a failed trial, or a client that cannot see them).
/// </summary>
public sealed class TrialRecord
{
    // Identity
    /// <summary>Row id given by the database; 0 before the row is stored.</summary>
    public long Id { get; set; }
    public string Experiment { get; set; } = "";
    /// <summary>Unique per experiment; a resumed run skips the keys already recorded with status ok.</summary>
    public string TrialKey { get; set; } = "";
    /// <summary>Which part of the design the trial belongs to: table1, table2, table3 or custom.</summary>
    public string Design { get; set; } = Designs.Custom;
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string Status { get; set; } = TrialStatus.Ok;
    public string? Error { get; set; }

    // What was loaded, and which repetition
    public string Site { get; set; } = "";
    public int RunIndex { get; set; }
    /// <summary>Seed of the link's loss generator (and anything else random in the trial).</summary>
    public long Seed { get; set; }

    // The link
    /// <summary>Link preset name (dsl, cable, ...) or "custom".</summary>
    public string Link { get; set; } = "";
    public long DownBps { get; set; }
    public long UpBps { get; set; }
    public double RttMs { get; set; }
    /// <summary>Packet loss rate as a fraction (0.01 = 1%).</summary>
    public double Loss { get; set; }
    public string LossModel { get; set; } = "bernoulli";
    public string Queue { get; set; } = "";

    // The protocol configuration and the client
    public string Protocol { get; set; } = Protocols.Http11;
    public string Transport { get; set; } = Transports.Tcp;
    public string DomainMode { get; set; } = DomainModes.Multi;
    public string Feature { get; set; } = Features.None;
    public string Client { get; set; } = Clients.Builtin;
    /// <summary>How many worlds were running at the same time as this one (1 = serial).</summary>
    public int? Parallel { get; set; }

    // Client metrics (milliseconds from navigation start)
    public double? PltMs { get; set; }
    public double? TtfbMs { get; set; }
    public double? DclMs { get; set; }
    public double? OnloadMs { get; set; }
    /// <summary>Physical lower bound of this load on this link (serialization of every byte plus the RTTs the dependency chain needs).</summary>
    public double? LowerBoundMs { get; set; }
    public int? Requests { get; set; }
    public int? Connections { get; set; }
    public int? PushesUsed { get; set; }
    public int? PushesWasted { get; set; }

    // Bytes seen by the client (application level)
    public long? BytesUp { get; set; }
    public long? BytesDown { get; set; }
    public long? HeaderBytesUpRaw { get; set; }
    public long? HeaderBytesUpWire { get; set; }
    public long? HeaderBytesDownRaw { get; set; }
    public long? HeaderBytesDownWire { get; set; }
    public long? BodyBytesUp { get; set; }
    public long? BodyBytesDown { get; set; }

    // Link counters (IP level, counted by the emulator)
    public long? PacketsUp { get; set; }
    public long? PacketsDown { get; set; }
    public long? LinkBytesUp { get; set; }
    public long? LinkBytesDown { get; set; }
    public long? DropsLossUp { get; set; }
    public long? DropsLossDown { get; set; }
    public long? DropsQueueUp { get; set; }
    public long? DropsQueueDown { get; set; }

    // Packet evidence: from the trial's captures (docs/results.md, "Packet evidence"); null when not measured
    public long? PcapPacketsUp { get; set; }
    public long? PcapPacketsDown { get; set; }
    public long? PcapBytesUp { get; set; }
    public long? PcapBytesDown { get; set; }
    public long? PcapHeaderBytesUp { get; set; }
    public long? PcapHeaderBytesDown { get; set; }
    public int? PcapConnections { get; set; }
    public int? PcapSynRetransmissions { get; set; }
    public double? PcapSynWaitMs { get; set; }
    public long? PcapRetransmissionsUp { get; set; }
    public long? PcapRetransmissionsDown { get; set; }
    public long? PcapRecoveriesFast { get; set; }
    public long? PcapRecoveriesTimeout { get; set; }
    public long? PcapRecoveriesOther { get; set; }

    // Artifacts: absolute, or relative to the directory of the results database
    public string? HarPath { get; set; }
    public string? PcapPath { get; set; }

    public bool IsOk => Status == TrialStatus.Ok;

    public TrialRecord Clone() => (TrialRecord)MemberwiseClone();

    /// <summary>
    /// A trial key built from every parameter that defines the trial, for runners that have no
    /// better one: the same configuration, site and run index always give the same key.
    /// </summary>
    public string DefaultKey() => string.Join('|',
        Design, Site, "run" + RunIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), Link,
        DownBps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        UpBps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RttMs.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "ms",
        Loss.ToString("R", System.Globalization.CultureInfo.InvariantCulture), LossModel, Queue,
        Protocol, Transport, DomainMode, Feature, Client);

    /// <summary>Throws with the field, the value and what is accepted when a value is outside the vocabulary.</summary>
    public void Validate()
    {
        Require("trial_key", TrialKey);
        Require("experiment", Experiment);
        Require("site", Site);
        Require("link", Link);
        OneOf("design", Design, Designs.All);
        OneOf("status", Status, TrialStatus.All);
        OneOf("protocol", Protocol, Protocols.All);
        OneOf("transport", Transport, Transports.All);
        OneOf("domain_mode", DomainMode, DomainModes.All);
        OneOf("feature", Feature, Features.All);
        OneOf("client", Client, Clients.All);
        if (Loss is < 0 or > 1 || double.IsNaN(Loss))
        {
            throw new ArgumentException($"loss: {Loss} is not a fraction; accepted: 0 to 1 (0.01 = 1%)");
        }
        if (Status == TrialStatus.Ok && PltMs is null)
        {
            throw new ArgumentException($"plt_ms: a trial with status ok needs a page load time (trial {TrialKey})");
        }
    }

    private static void Require(string column, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{column}: must not be empty");
        }
    }

    private static void OneOf(string column, string value, IReadOnlyList<string> accepted)
    {
        if (!accepted.Contains(value))
        {
            throw new ArgumentException($"{column}: '{value}' is not known; accepted: {string.Join(", ", accepted)}");
        }
    }
}

/// <summary>The vocabularies of the enumerated columns (docs/results.md).</summary>
public static class Designs
{
    public const string Table1 = "table1", Table2 = "table2", Table3 = "table3", Custom = "custom";
    public static readonly IReadOnlyList<string> All = [Table1, Table2, Table3, Custom];
}

public static class TrialStatus
{
    public const string Ok = "ok", Failed = "failed";
    public static readonly IReadOnlyList<string> All = [Ok, Failed];
}

public static class Protocols
{
    public const string Http11 = "http/1.1", Spdy2 = "spdy/2", Spdy3 = "spdy/3", Spdy31 = "spdy/3.1", H2 = "h2";
    public static readonly IReadOnlyList<string> All = [Http11, Spdy2, Spdy3, Spdy31, H2];
    /// <summary>True for the multiplexed protocols (SPDY and HTTP/2), the ones compared against HTTP/1.1.</summary>
    public static bool IsMultiplexed(string protocol) => protocol != Http11;
}

public static class Transports
{
    public const string Tcp = "tcp", Tls = "tls";
    public static readonly IReadOnlyList<string> All = [Tcp, Tls];
}

public static class DomainModes
{
    public const string Multi = "multi", Single = "single";
    public static readonly IReadOnlyList<string> All = [Multi, Single];
}

public static class Features
{
    public const string None = "none", Push = "push", Hint = "hint", Prefetch = "prefetch";
    public static readonly IReadOnlyList<string> All = [None, Push, Hint, Prefetch];
}

public static class Clients
{
    public const string Builtin = "builtin", Chromium = "chromium";
    public static readonly IReadOnlyList<string> All = [Builtin, Chromium];
}
