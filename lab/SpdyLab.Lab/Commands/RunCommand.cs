using System.CommandLine;
using System.Globalization;
using SpdyLab.Emulator.Link;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab run</c>: one configuration from flags (no file): sites, a link (preset or rates), a protocol
/// and its mode, a number of runs. Same runner, database and summary as sweep.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var shared = new ExperimentOptions();
        var site = new Option<string>("--site") { Description = "Site name(s), comma-separated (e.g. google or google,yahoo)", Required = true };
        var link = new Option<string?>("--link") { Description = $"Link preset: {LinkPresets.Names} (--down/--up/--rtt override its values)" };
        var down = new Option<string?>("--down") { Description = "Downlink rate, e.g. 2mbit" };
        var up = new Option<string?>("--up") { Description = "Uplink rate, e.g. 375kbit" };
        var rtt = new Option<string?>("--rtt") { Description = "Round-trip time the link adds, e.g. 40ms (default: the preset's, else 40ms)" };
        var loss = new Option<string?>("--loss") { Description = "Packet loss each way, e.g. 1%" };
        var lossModel = new Option<string?>("--loss-model") { Description = LinkValues.AcceptedLossModels };
        var queue = new Option<string?>("--queue") { Description = LinkValues.AcceptedQueues };
        var protocol = new Option<string>("--protocol", "-p")
        {
            Description = $"Protocol(s), comma-separated to compare several: {string.Join(", ", Protocols.All)}",
            DefaultValueFactory = _ => Protocols.Spdy3,
        };
        var single = new Option<bool>("--single-domain") { Description = "Every origin host from one address (one SPDY session)" };
        var push = new Option<bool>("--push") { Description = "Server push" };
        var hint = new Option<bool>("--hint") { Description = "Server hint (X-Subresources)" };
        var prefetch = new Option<bool>("--prefetch") { Description = "Client prefetch" };
        var tls = new Option<bool>("--tls") { Description = "Over TLS (the paper's SSL) instead of plain TCP" };
        var runs = new Option<int>("--runs") { Description = "Runs (repetitions)", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--seed") { Description = "Base seed (loss pattern, order)", DefaultValueFactory = _ => 1 };
        var client = new Option<string>("--client") { Description = "builtin or chromium", DefaultValueFactory = _ => Clients.Builtin };

        var command = new Command("run", "Run one configuration from flags: a site, a link, a protocol and mode, N runs; results as in sweep.");
        foreach (var option in new Option[] { site, link, down, up, rtt, loss, lossModel, queue, protocol, single, push, hint, prefetch, tls, runs, seed, client })
        {
            command.Options.Add(option);
        }
        shared.AddTo(command, includeRunsAndSites: false);
        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var experiment = Build(new RunFlags
            {
                Sites = ExperimentOptions.ParseSites(parseResult.GetValue(site)) ?? [],
                Link = parseResult.GetValue(link),
                Down = parseResult.GetValue(down),
                Up = parseResult.GetValue(up),
                Rtt = parseResult.GetValue(rtt),
                Loss = parseResult.GetValue(loss),
                LossModel = parseResult.GetValue(lossModel),
                Queue = parseResult.GetValue(queue),
                Protocols = parseResult.GetValue(protocol)!,
                SingleDomain = parseResult.GetValue(single),
                Push = parseResult.GetValue(push),
                Hint = parseResult.GetValue(hint),
                Prefetch = parseResult.GetValue(prefetch),
                Tls = parseResult.GetValue(tls),
                Runs = parseResult.GetValue(runs),
                Seed = parseResult.GetValue(seed),
                Client = parseResult.GetValue(client)!,
            });
            return await ExperimentOptions.RunSessionAsync("run", experiment, shared.Read(parseResult), cancellationToken);
        });
        return command;
    }

    internal sealed record RunFlags
    {
        public required IReadOnlyList<string> Sites { get; init; }
        public string? Link { get; init; }
        public string? Down { get; init; }
        public string? Up { get; init; }
        public string? Rtt { get; init; }
        public string? Loss { get; init; }
        public string? LossModel { get; init; }
        public string? Queue { get; init; }
        public string Protocols { get; init; } = Results.Protocols.Spdy3;
        public bool SingleDomain { get; init; }
        public bool Push { get; init; }
        public bool Hint { get; init; }
        public bool Prefetch { get; init; }
        public bool Tls { get; init; }
        public int Runs { get; init; } = 1;
        public ulong Seed { get; init; } = 1;
        public string Client { get; init; } = Clients.Builtin;
    }

    /// <summary>The one-block experiment the flags describe; bad flags throw a UsageException naming the flag.</summary>
    internal static Experiment Build(RunFlags flags)
    {
        if (flags.Runs is < 1 or > 1000) throw new UsageException($"--runs: {flags.Runs} is out of range; accepted: 1 to 1000");
        if (!Clients.All.Contains(flags.Client)) throw new UsageException($"--client: '{flags.Client}' is not known; accepted: {string.Join(", ", Clients.All)}");
        LinkProfile profile;
        try
        {
            var preset = flags.Link is null ? null
                : LinkPresets.Find(flags.Link) ?? throw new UsageException($"--link: '{flags.Link}' is not a preset; accepted: {LinkPresets.Names}");
            if (preset is null && (flags.Down is null || flags.Up is null))
                throw new UsageException("--link: give a preset (--link dsl) or both rates (--down 2mbit --up 375kbit)");
            profile = new LinkProfile
            {
                Name = preset is not null && flags.Down is null && flags.Up is null ? preset.Name : "custom",
                DownBps = flags.Down is null ? preset!.DownBps : LinkValues.ParseRate("--down", flags.Down),
                UpBps = flags.Up is null ? preset!.UpBps : LinkValues.ParseRate("--up", flags.Up),
                RttMs = flags.Rtt is null ? preset?.RttMs : LinkValues.ParseDuration("--rtt", flags.Rtt) / 1000.0,
            };
            if (flags.Loss is not null) LinkValues.ParsePercent("--loss", flags.Loss);
            if (flags.Queue is not null) LinkValues.ParseQueue("--queue", flags.Queue);
            if (flags.LossModel is not null) LinkValues.ParseLossModel("--loss-model", flags.LossModel, 0.01);
        }
        catch (LinkOptionException e)
        {
            throw new UsageException(e.Message);
        }
        int features = (flags.Push ? 1 : 0) + (flags.Hint ? 1 : 0) + (flags.Prefetch ? 1 : 0);
        if (features > 1) throw new UsageException("--push, --hint, --prefetch: choose at most one");
        var feature = flags.Push ? Features.Push : flags.Hint ? Features.Hint : flags.Prefetch ? Features.Prefetch : Features.None;

        var configurations = new List<Configuration>();
        foreach (var name in flags.Protocols.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct())
        {
            var protocol = Protocols.All.FirstOrDefault(p => string.Equals(p, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new UsageException($"--protocol: '{name}' is not known; accepted: {string.Join(", ", Protocols.All)} (comma-separated for several)");
            if (feature is Features.Push or Features.Hint && protocol == Protocols.Http11)
                throw new UsageException($"--{feature}: needs a multiplexed protocol, not http/1.1");
            configurations.Add(new Configuration
            {
                Protocol = protocol,
                Transport = flags.Tls ? Transports.Tls : Transports.Tcp,
                DomainMode = flags.SingleDomain ? DomainModes.Single : DomainModes.Multi,
                Feature = feature,
            });
        }
        if (configurations.Count == 0) throw new UsageException($"--protocol: none given; accepted: {string.Join(", ", Protocols.All)}");

        var losses = flags.Loss is null ? 0.0 : LinkValues.ParsePercent("--loss", flags.Loss);
        return new Experiment
        {
            Name = "run",
            Description = "one configuration from the command line",
            Client = flags.Client,
            Runs = flags.Runs,
            Seed = flags.Seed,
            // The whitepaper design's default RTT, for links that name none.
            RttMs = 40,
            Sites = flags.Sites,
            SourceName = "command line",
            SourceText = "# spdylab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            Designs =
            [
                new DesignBlock
                {
                    Design = Designs.Custom,
                    Title = "spdylab run",
                    Links = [profile],
                    Losses = [losses],
                    LossModel = flags.LossModel ?? "bernoulli",
                    Queue = flags.Queue,
                    Configurations = configurations,
                },
            ],
        };
    }

}
