using System.Globalization;
using SpdyLab.Results;

namespace SpdyLab.Lab.Experiments;

/// <summary>
/// An experiment as read from its YAML file (docs/lab.md): which sites, how many runs, the seed, and
/// one or more design blocks, each a grid of links x RTTs x losses x configurations.
/// <see cref="ExperimentMatrix"/> expands it into trials.
/// </summary>
public sealed record Experiment
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string Client { get; init; } = Clients.Builtin;

    /// <summary>Repetitions of every configuration on every site (per design unless the design overrides it).</summary>
    public int Runs { get; init; } = 1;

    /// <summary>Base seed: every trial's loss seed and the order of configurations derive from it.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Default RTT for links that name none (Table 1's RTT in the whitepaper design).</summary>
    public double RttMs { get; init; }

    /// <summary>Longest a trial may take before it is recorded as failed.</summary>
    public TimeSpan TrialTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Site names, or null for every site of the corpus.</summary>
    public IReadOnlyList<string>? Sites { get; init; }

    public required IReadOnlyList<DesignBlock> Designs { get; init; }

    /// <summary>The file's text, stored in the results database so a run can be repeated exactly.</summary>
    public string SourceText { get; init; } = "";

    /// <summary>Where the file came from (for messages), or a description such as "command line".</summary>
    public string SourceName { get; init; } = "";
}

/// <summary>One grid of the design (a table of the paper): every link x RTT x loss x configuration, on every site, every run.</summary>
public sealed record DesignBlock
{
    /// <summary>Results vocabulary: table1, table2, table3 or custom.</summary>
    public required string Design { get; init; }
    public string Title { get; init; } = "";
    public required IReadOnlyList<LinkProfile> Links { get; init; }

    /// <summary>RTTs to sweep; empty means each link's own RTT (or the experiment's).</summary>
    public IReadOnlyList<double> RttsMs { get; init; } = [];

    /// <summary>Loss rates (fractions) to sweep.</summary>
    public IReadOnlyList<double> Losses { get; init; } = [0];

    /// <summary>Loss model text as the emulator parses it (bernoulli, ge:burst=N, ...).</summary>
    public string LossModel { get; init; } = "bernoulli";

    /// <summary>Queue text as the emulator parses it, or null for the emulator's default (250 ms of the rate).</summary>
    public string? Queue { get; init; }

    public required IReadOnlyList<Configuration> Configurations { get; init; }

    /// <summary>Overrides the experiment's runs for this block.</summary>
    public int? Runs { get; init; }

    /// <summary>Overrides the experiment's sites for this block.</summary>
    public IReadOnlyList<string>? Sites { get; init; }
}

/// <summary>A named link: rates (or traces) and, optionally, its own RTT.</summary>
public sealed record LinkProfile
{
    public required string Name { get; init; }
    public long? DownBps { get; init; }
    public long? UpBps { get; init; }
    public string? DownTrace { get; init; }
    public string? UpTrace { get; init; }

    /// <summary>The link's own RTT (WebPageTest presets have one), or null to use the design's or experiment's.</summary>
    public double? RttMs { get; init; }

    public string Describe()
    {
        string Rate(long? bps, string? trace) => trace is not null ? $"trace {Path.GetFileName(trace)}"
            : bps is { } b ? SpdyLab.Emulator.Link.LinkValues.FormatRate(b) : "unlimited";
        var rtt = RttMs is { } r ? $", {r.ToString(CultureInfo.InvariantCulture)} ms" : "";
        return $"{Rate(DownBps, DownTrace)} down / {Rate(UpBps, UpTrace)} up{rtt}";
    }
}

/// <summary>One row of a table: protocol, transport, domain mode and feature.</summary>
public sealed record Configuration
{
    public string Protocol { get; init; } = Protocols.Http11;
    public string Transport { get; init; } = Transports.Tcp;
    public string DomainMode { get; init; } = DomainModes.Multi;
    public string Feature { get; init; } = Features.None;

    /// <summary>Label for tables; derived from the fields unless the file gives one.</summary>
    public string? Label { get; init; }

    /// <summary>Which client loads this row (builtin or chromium); null: the experiment's <c>client:</c>.</summary>
    public string? Client { get; init; }

    public string DisplayName => Label ?? DefaultLabel();

    /// <summary>Same fields, label ignored: the identity of the configuration in the results.</summary>
    public string Key => $"{Protocol}|{Transport}|{DomainMode}|{Feature}" + (Client is null or Clients.Builtin ? "" : "|" + Client);

    public string DefaultLabel()
    {
        var name = Protocol switch
        {
            Protocols.Http11 => "HTTP",
            Protocols.H2 => "HTTP/2",
            _ => Protocol.ToUpperInvariant(),
        };
        var parts = new List<string> { name };
        if (Protocol != Protocols.Http11) parts.Add(DomainMode == DomainModes.Single ? "single-domain" : "multi-domain");
        else if (DomainMode == DomainModes.Single) parts.Add("single-domain");
        var text = string.Join(' ', parts);
        if (Feature != Features.None) text += Feature switch
        {
            Features.Push => " + server push",
            Features.Hint => " + server hint",
            Features.Prefetch => " + client prefetch",
            _ => " + " + Feature,
        };
        return text + (Transport == Transports.Tls ? " (SSL)" : "") + (Client is null or Clients.Builtin ? "" : $" [{Client}]");
    }
}
