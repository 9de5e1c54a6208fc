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
    private readonly BackgroundTeardowns teardowns = new();

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
        using (TrialProfile.Measure("warm-up (first of a mode)"))
        {
            await warmUps.GetOrAdd(warmKey, _ => new Lazy<Task>(() => WarmUpAsync(trial, context, cancellationToken))).Value;
        }
        await LoadInProcessAsync(trial, record, context, trial.Condition.ToLinkOptions(trial.Seed).ToSpec(), cancellationToken);
    }

    private async Task WarmUpAsync(PlannedTrial trial, TrialContext context, CancellationToken cancellationToken)
    {
        var fast = new Emulator.Link.LinkOptions { Down = "100mbit", Up = "100mbit", Rtt = "1ms" }.ToSpec();
        try
        {
            await LoadInProcessAsync(trial, trial.ToRecord(), context with { CapturePackets = false, PacketEvidence = false }, fast, cancellationToken);
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

        World world;
        var captureDirectory = CaptureDirectory(context);
        using (TrialProfile.Measure("world: create"))
        {
            world = await CreateWorldAsync(new WorldOptions
            {
                Link = spec with { Down = spec.Up, Up = spec.Down },
                HostSide = HostSide.RootNamespace,
                PcapDirectory = captureDirectory,
            }, cancellationToken);
        }
        try
        {
            await LoadInWorldAsync(world, trial, record, context, snapshot, hosts, documentHost, tls, single, cancellationToken);
        }
        finally
        {
            // The page load is measured and the server stopped: the teardown runs while the worker goes on.
            await teardowns.AddAsync(world);
            DeleteTemporaryCaptures(context, captureDirectory);
        }
    }

    public Task CompleteAsync() => teardowns.CompleteAsync();

    private async Task LoadInWorldAsync(World world, PlannedTrial trial, TrialRecord record, TrialContext context, Snapshot snapshot,
        List<string> hosts, string documentHost, bool tls, bool single, CancellationToken cancellationToken)
    {
        var configuration = trial.Configuration;

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
        using (TrialProfile.Measure("world: addresses, tcp metrics"))
        {
            if (extra.Count > 0)
            {
                await RunIpAsync(["-n", world.ClientNamespace, "-batch", "-"], extra.Select(a => $"addr add {a}/32 dev lo"), cancellationToken);
            }
            // The client's sockets live in the root namespace, which outlives the world: the kernel caches
            // each destination's RTT there when a connection closes (tcp_metrics) and seeds the next
            // connection's retransmission timeout from it. A slot's addresses are reused by later trials,
            // so without this flush a trial would inherit an RTO from an earlier trial's link (measured:
            // cached RTTs of 11-211 ms for 10.200.0.x after a run). The server's namespace is new each trial.
            var rootCommands = new List<string> { $"tcp_metrics flush {SlotPrefix(world)}" };
            rootCommands.AddRange(extra.Select(a => $"route add {a}/32 dev {world.HostInterface} src {world.HostAddress}"));
            await RunIpAsync(["-batch", "-"], rootCommands, cancellationToken);
        }
        var listen = hostMap.Hosts.Values.Distinct().ToList();
        if (listen.Count == 0) listen.Add(new IPEndPoint(world.ClientAddress, port));

        var certificate = tls ? CertificateFor(trial.Site, hosts) : null;
        ReplayServer server;
        using (TrialProfile.Measure("server: start"))
        {
            server = await ReplayServer.StartAsync(world, inClientNamespace: true, listen,
                ReplayOptions(snapshot, configuration, single, documentHost), certificate, tls ? [authority.Value.Root] : null, cancellationToken);
        }
        try
        {
            await LoadWithServerAsync(world, trial, record, context, snapshot, hostMap, tls, single, cancellationToken);
        }
        finally
        {
            using (TrialProfile.Measure("server: stop"))
            {
                await server.DisposeAsync();
            }
        }
    }

    private async Task LoadWithServerAsync(World world, PlannedTrial trial, TrialRecord record, TrialContext context, Snapshot snapshot,
        HostMap hostMap, bool tls, bool single, CancellationToken cancellationToken)
    {
        var configuration = trial.Configuration;

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
            using var _ = TrialProfile.Measure("page load");
            result = await PageLoader.LoadAsync(page, options, cancellationToken);
        }
        catch (PageLoadException e)
        {
            FillLinkCounters(record, world, swapped: true);
            throw new InvalidOperationException(e.Message, e);
        }
        FillLinkCounters(record, world, swapped: true);
        if (world.FerryFailure is { } ferry) throw new InvalidOperationException($"the link failed: {ferry.Message}");
        await FillPacketEvidenceAsync(record, world, swapped: true, context);
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

    /// <summary>
    /// World.Create, retried when a device name is still busy: a slot's TUN device (slNh) of the previous
    /// world can outlive the close of its descriptor for a moment while the kernel releases it (seen once in
    /// the first 120 trials of the full design: TUNSETIFF ... errno 16), and the next world on that slot then
    /// fails to create it. The retry waits a little and tries again (any free slot).
    /// </summary>
    internal static async Task<World> CreateWorldAsync(WorldOptions options, CancellationToken cancellationToken)
    {
        const int EBUSY = 16;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                // World.Create waits for `ip` processes and joins a namespace thread: not on a pool thread.
                return await DedicatedThread.RunAsync("world create", () => World.Create(options));
            }
            catch (Emulator.Interop.SystemCallException e) when (e.Errno == EBUSY && attempt < 5)
            {
                await Task.Delay(100 * attempt, cancellationToken);
            }
        }
    }

    /// <summary>The world's /24 (10.200.N.0/24): every address of the trial, client and servers.</summary>
    private static string SlotPrefix(World world)
    {
        var bytes = world.HostAddress.GetAddressBytes();
        return $"{bytes[0]}.{bytes[1]}.{bytes[2]}.0/24";
    }

    private static async Task RunIpAsync(IEnumerable<string> arguments, IEnumerable<string> input, CancellationToken cancellationToken)
    {
        // stdout too: `tcp_metrics flush` says "Nothing to flush." there, which must not reach the progress display.
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start ip");
        foreach (var line in input) await process.StandardInput.WriteLineAsync(line);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await stdout;
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {error.Trim()}");
    }
}
