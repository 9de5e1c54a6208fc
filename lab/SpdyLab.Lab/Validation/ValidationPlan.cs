using System.Globalization;
using SpdyLab.Emulator.Link;
using SpdyLab.Lab.Experiments;
using ValidationMeta = SpdyLab.Reports.Analysis.ValidationMeta;
using ValidationCellRef = SpdyLab.Reports.Analysis.ValidationCellRef;
using SpdyLab.Results;

namespace SpdyLab.Lab.Validation;

/// <summary>One link of the validation: a preset and the loss rate it runs at ("cable@1%").</summary>
public sealed record ValidationLinkSpec(LinkProfile Link, double Loss)
{
    public string Name => $"{Link.Name}@{(Loss * 100).ToString("0.###", CultureInfo.InvariantCulture)}%";

    /// <summary>"dsl@1%", "cable@0%", "cable" (no loss). Names are <see cref="LinkPresets"/>' names.</summary>
    public static ValidationLinkSpec Parse(string option, string text)
    {
        var at = text.IndexOf('@');
        var name = at < 0 ? text : text[..at];
        var preset = LinkPresets.Find(name.Trim())
            ?? throw new Commands.UsageException($"{option}: '{name}' is not a link preset; accepted: {LinkPresets.Names}, each with an optional @LOSS (e.g. dsl@1%, cable@0%)");
        double loss = 0;
        if (at >= 0)
        {
            try { loss = LinkValues.ParsePercent(option, text[(at + 1)..].Trim()); }
            catch (LinkOptionException e) { throw new Commands.UsageException($"{e.Message} (in '{text}')"); }
        }
        return new ValidationLinkSpec(preset, loss);
    }
}

/// <summary>
/// What `spdylab validate` runs (docs/browser.md, "Validation"): every site on every link, HTTP/1.1 and HTTP/2 over
/// TLS, loaded by the built-in client and by Chromium, for some runs; and which link and protocol is the
/// calibration cell. <see cref="ToExperiment"/> turns it into an ordinary experiment for the runner.
/// </summary>
public sealed record ValidationPlan
{
    public const string ExperimentName = "validation";

    /// <summary>The whitepaper's two links at its 1% loss, and cable without loss: the lossless cell separates
    /// loss recovery from everything else, and cable is where the paper's Tables 2 and 3 sweep.</summary>
    public static readonly string DefaultLinks = "dsl@1%,cable@1%,cable@0%";

    public const int DefaultRuns = 5;

    /// <summary>Chromium's compute is part of its load time (its load event waits for scripts and layout); worlds
    /// side by side share the two cores and inflate Chromium's PLT more than the model's, which computes nothing
    /// (docs/browser.md). One world at a time is the default.</summary>
    public const int DefaultParallel = 1;

    public const ulong DefaultSeed = 2009;

    public required IReadOnlyList<string> Sites { get; init; }
    public required IReadOnlyList<ValidationLinkSpec> Links { get; init; }
    public int Runs { get; init; } = DefaultRuns;

    /// <summary>RTT of links that carry none of their own (dsl and cable: the whitepaper does not give one; 40 ms as in its quick design).</summary>
    public double RttMs { get; init; } = 40;
    public ulong Seed { get; init; } = DefaultSeed;

    /// <summary>The link and protocol a model was calibrated on; every other cell is held out. Null: none named.</summary>
    public (ValidationLinkSpec Link, string Protocol)? Calibration { get; init; }

    /// <summary>The protocols both clients speak over the same transport (Chromium has no SPDY and no cleartext HTTP/2).</summary>
    public static readonly IReadOnlyList<string> ProtocolsCompared = [Protocols.Http11, Protocols.H2];

    public static IReadOnlyList<Configuration> Configurations() =>
    [
        .. from client in Clients.All
           from protocol in ProtocolsCompared
           select new Configuration
           {
               Protocol = protocol,
               Transport = Transports.Tls,
               Client = client,
               Label = $"{(protocol == Protocols.Http11 ? "HTTP/1.1" : "HTTP/2")} (TLS) {(client == Clients.Builtin ? "built-in" : "Chromium")}",
           },
    ];

    /// <summary>The experiment: one design block per link (its own loss), the four configurations on every site.</summary>
    public Experiment ToExperiment(string commandLine) => new()
    {
        Name = ExperimentName,
        Description = "Built-in client vs Chromium: HTTP/1.1 and HTTP/2 over TLS (spdylab validate)",
        Client = Clients.Builtin,
        Runs = Runs,
        Seed = Seed,
        RttMs = RttMs,
        TrialTimeout = TimeSpan.FromSeconds(90),
        Sites = Sites,
        SourceName = "spdylab validate",
        // The database keeps what made the run: the command and the plan it expanded to.
        SourceText = $"# {commandLine}\n# sites: {string.Join(", ", Sites)}\n# links: {string.Join(", ", Links.Select(l => l.Name))}\n" +
                     $"# runs: {Runs}, rtt: {RttMs.ToString(CultureInfo.InvariantCulture)} ms, seed: {Seed}\n" +
                     (Calibration is { } c ? $"# calibration: {c.Link.Name}/{c.Protocol}\n" : ""),
        Designs =
        [
            .. Links.Select(link => new DesignBlock
            {
                Design = Designs.Custom,
                Title = $"Built-in client vs Chromium, {link.Name}",
                Links = [link.Link],
                Losses = [link.Loss],
                Configurations = Configurations(),
            }),
        ],
    };

    /// <summary>The meta entry the report reads: the calibration cell and each site's snapshot resource count.</summary>
    public ValidationMeta Meta(Func<string, int> snapshotResources) => new()
    {
        Calibration = Calibration is { } c ? new ValidationCellRef(c.Link.Link.Name, c.Link.Loss, c.Protocol) : null,
        SnapshotResources = Sites.ToDictionary(s => s, snapshotResources),
    };
}
