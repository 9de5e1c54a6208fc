using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using SpdyLab.Client.PageLoad;
using SpdyLab.Emulator.Worlds;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Loading;
using SpdyLab.Results;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Runner;

public sealed partial class WorldTrialExecutor
{
    private readonly ConcurrentDictionary<string, PageDescription> pages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task>> warmUps = new(StringComparer.Ordinal);

    /// <summary>
    /// The trial with the client in this process. A socket belongs to the namespace of the thread that
    /// creates it, and the page loader creates its sockets on thread-pool threads (root namespace), so the
    /// roles are swapped: the client stays on the world's host side (root namespace) and the replay server
    /// listens in the world's other namespace. The link spec is swapped to match: the world's "down"
    /// direction (host side to namespace) carries the client's uploads.
    /// </summary>
    private async Task RunInProcessAsync(PlannedTrial trial, TrialRecord record, TrialContext context, CancellationToken cancellationToken)
    {
        // The first load of each protocol/transport in this process pays for JIT and TLS set-up; a
        // throwaway load on a fast, lossless link pays it before any measured trial does.
        var warmKey = $"{trial.Configuration.Protocol}|{trial.Configuration.Transport}|{trial.Configuration.DomainMode}";
        await warmUps.GetOrAdd(warmKey, _ => new Lazy<Task>(() => WarmUpAsync(trial, context, cancellationToken))).Value;
        await LoadInProcessAsync(trial, record, context, trial.Condition.ToLinkOptions(trial.Seed).ToSpec(), cancellationToken);
    }

    private async Task WarmUpAsync(PlannedTrial trial, TrialContext context, CancellationToken cancellationToken)
    {
        var fast = new Emulator.Link.LinkOptions { Down = "100mbit", Up = "100mbit", Rtt = "1ms" }.ToSpec();
        try
        {
            await LoadInProcessAsync(trial, trial.ToRecord(), context with { CapturePackets = false }, fast, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failing warm-up says nothing the measured trial will not say itself.
        }
    }

    private async Task LoadInProcessAsync(PlannedTrial trial, TrialRecord record, TrialContext context, Emulator.Link.LinkSpec spec,
        CancellationToken cancellationToken)
    {
        var snapshot = SnapshotOf(trial.Site);
        var configuration = trial.Configuration;
        bool tls = configuration.Transport == Transports.Tls;
        bool single = configuration.DomainMode == DomainModes.Single;
        var hosts = HostsOf(snapshot);
        var documentHost = snapshot.PageExchange?.Host ?? hosts.FirstOrDefault() ?? "";

        using var world = World.Create(new WorldOptions
        {
            Link = spec with { Down = spec.Up, Up = spec.Down },
            HostSide = HostSide.RootNamespace,
            PcapDirectory = context.CapturePackets ? context.ArtifactDirectory : null,
        });

        // Server addresses live in the world's namespace: its own address, plus one per further origin
        // host for multi-domain (on lo there, routed from the host side through the world's link).
        int port = tls ? TlsPort : PlainPort;
        var hostMap = new HostMap();
        var extra = new List<IPAddress>();
        for (int i = 0; i < hosts.Count; i++)
        {
            IPAddress address = world.ClientAddress;
            if (!single && i > 0)
            {
                var bytes = world.ClientAddress.GetAddressBytes();
                bytes[3] = (byte)(10 + i);
                if (10 + i > 250) throw new InvalidOperationException($"site {trial.Site} has more than 241 hosts");
                address = new IPAddress(bytes);
                extra.Add(address);
            }
            hostMap.Add(hosts[i], new IPEndPoint(address, port));
        }
        if (extra.Count > 0)
        {
            await RunIpAsync(["-n", world.ClientNamespace, "-batch", "-"], extra.Select(a => $"addr add {a}/32 dev lo"), cancellationToken);
            await RunIpAsync(["-batch", "-"], extra.Select(a => $"route add {a}/32 dev {world.HostInterface} src {world.HostAddress}"), cancellationToken);
        }
        var listen = hostMap.Hosts.Values.Distinct().ToList();
        if (listen.Count == 0) listen.Add(new IPEndPoint(world.ClientAddress, port));

        var certificate = tls ? CertificateFor(trial.Site, hosts) : null;
        await using var server = await ReplayServer.StartAsync(world, inClientNamespace: true, listen,
            ReplayOptions(snapshot, configuration, single, documentHost), certificate, tls ? [authority.Value.Root] : null, cancellationToken);

        var page = pages.GetOrAdd(trial.Site, _ => SnapshotPage.From(snapshot));
        var options = new PageLoadOptions
        {
            Protocol = configuration.Protocol,
            Tls = tls,
            SingleDomain = single,
            Prefetch = configuration.Feature == Features.Prefetch,
            Feature = configuration.Feature == Features.None ? "plain" : configuration.Feature,
            Hosts = hostMap,
            // The client gives up a little before the runner does, so a slow load still reports what it measured.
            Timeout = TimeSpan.FromSeconds(Math.Max(5, context.TrialTimeout.TotalSeconds - 5)),
            SpdyTransportFactory = SpdyTransports.Factory,
        };
        PageLoadResult result;
        try
        {
            result = await PageLoader.LoadAsync(page, options, cancellationToken);
        }
        catch (PageLoadException e)
        {
            FillLinkCounters(record, world, swapped: true);
            throw new InvalidOperationException(e.Message, e);
        }
        FillLinkCounters(record, world, swapped: true);
        if (world.FerryFailure is { } ferry) throw new InvalidOperationException($"the link failed: {ferry.Message}");
        if (trial.Condition.Link.DownBps is { } down && trial.Condition.Link.UpBps is { } up)
        {
            result.SetLink(new LinkParameters(down, up, trial.Condition.RttMs));
        }
        FillClientMetrics(record, result.ToJson());
        if (context.CapturePackets)
        {
            Directory.CreateDirectory(context.ArtifactDirectory);
            record.HarPath = Path.Combine(context.ArtifactDirectory, "load.har");
            await File.WriteAllTextAsync(record.HarPath, HarWriter.Serialize(result), cancellationToken);
            record.PcapPath = Path.Combine(context.ArtifactDirectory, "host.pcap");
        }
        if (result.Failed > 0 || result.TimedOut)
        {
            var first = result.ResourceList.FirstOrDefault(r => r.Error is not null);
            throw new InvalidOperationException(
                $"{result.Failed} resource(s) failed{(result.TimedOut ? ", load timed out" : "")}{(first is null ? "" : $"; first: {first.Url}: {first.Error}")}");
        }
    }

    private static async Task RunIpAsync(IEnumerable<string> arguments, IEnumerable<string> input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start ip");
        foreach (var line in input) await process.StandardInput.WriteLineAsync(line);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {error.Trim()}");
    }
}
