using System.Net;
using SpdyLab.Emulator.Worlds;
using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// Trials with <c>client: chromium</c>: real Chromium (Playwright, docs/browser.md) instead of the built-in
/// loader: Chromium in the world's client namespace, the same replay server, addresses and link as the
/// built-in client's trials in the world's server namespace.
/// </summary>
public sealed partial class WorldTrialExecutor
{
    /// <summary>Why these Chromium trials cannot run (Chromium missing, a configuration Chromium cannot load), or null.</summary>
    internal static string? WhyChromiumTrialsCannotRun(IReadOnlyList<PlannedTrial> trials)
    {
        var chromium = trials.Where(t => t.Client == Clients.Chromium).ToList();
        if (chromium.Count == 0) return null;
        if (ChromiumLauncher.WhyUnavailable() is { } problem) return $"client: chromium: {problem}";
        foreach (var configuration in chromium.Select(t => t.Configuration).Distinct())
        {
            if (WhyChromiumCannotLoad(configuration) is { } reason)
                return $"client: chromium cannot run configuration '{configuration.DisplayName}': {reason}";
        }
        return null;
    }

    internal static string? WhyChromiumCannotLoad(Configuration configuration)
    {
        if (configuration.Protocol is not (Protocols.Http11 or Protocols.H2))
            return $"Chromium speaks http/1.1 and h2 (SPDY was removed from Chromium in 2016), not {configuration.Protocol}";
        if (configuration.Protocol == Protocols.H2 && configuration.Transport != Transports.Tls)
            return "Chromium speaks HTTP/2 over TLS only; use transport: tls";
        if (configuration.Feature != Features.None)
            return $"feature {configuration.Feature} is a built-in client or SPDY server feature (Chromium removed HTTP/2 push in 2022); use feature: none";
        return null;
    }

    private async Task RunChromiumAsync(PlannedTrial trial, TrialRecord record, TrialContext context, CancellationToken cancellationToken)
    {
        var configuration = trial.Configuration;
        if (WhyChromiumCannotLoad(configuration) is { } reason) throw new InvalidOperationException(reason);
        bool tls = configuration.Transport == Transports.Tls;
        bool single = configuration.DomainMode == DomainModes.Single;
        var snapshot = SnapshotOf(trial.Site);
        var hosts = HostsOf(snapshot);
        var documentHost = snapshot.PageExchange?.Host ?? hosts.FirstOrDefault() ?? "";
        var spec = trial.Condition.ToLinkOptions(trial.Seed).ToSpec();

        // Chromium is a process of its own, so it runs inside the world's client namespace (ip netns exec) and
        // the replay server in the world's server namespace: the root namespace, where other worlds add and
        // remove devices and routes all the time, is invisible to it. (In the root namespace Chromium saw those
        // changes and aborted loads with net::ERR_NETWORK_CHANGED.) Link directions are the world's own.
        var captureDirectory = CaptureDirectory(context);
        var world = await CreateWorldAsync(new WorldOptions
        {
            Link = spec,
            HostSide = HostSide.ServerNamespace,
            PcapDirectory = captureDirectory,
        }, cancellationToken);
        try
        {
            await LoadChromiumInWorldAsync(world, trial, record, context, snapshot, hosts, documentHost, tls, single, cancellationToken);
        }
        finally
        {
            // As for the built-in client: the world's teardown (Chromium's leftovers killed, ferries joined,
            // namespaces deleted) runs on its own thread while the worker goes on.
            await teardowns.AddAsync(world);
            DeleteTemporaryCaptures(context, captureDirectory);
        }
    }

    private async Task LoadChromiumInWorldAsync(World world, PlannedTrial trial, TrialRecord record, TrialContext context,
        Snapshot snapshot, List<string> hosts, string documentHost, bool tls, bool single, CancellationToken cancellationToken)
    {
        var configuration = trial.Configuration;
        // The same addressing as the built-in client's trial: one address per origin host (multi-domain) or one
        // for all. Adding addresses runs `ip` and waits for it: on a dedicated thread, not a pool thread.
        var (map, listen) = await DedicatedThread.RunAsync("server addresses", () => ServerNamespaceEndpoints(world, hosts, single, tls ? TlsPort : PlainPort));

        var certificate = tls ? CertificateFor(trial.Site, hosts) : null;
        await using var server = await ReplayServer.StartAsync(world, inClientNamespace: false, listen,
            ReplayOptions(snapshot, configuration, single, documentHost), certificate, tls ? [authority.Value.Root] : null, cancellationToken);

        var options = new ChromiumOptions
        {
            Hosts = map,
            KeepUrlPort = true,
            NetworkNamespace = world.ClientNamespace,
            TrustedSpkiHashes = tls ? [authority.Value.RootSpkiHash, authority.Value.LeafSpkiHash] : [],
        };
        string? harPath = null;
        if (context.CapturePackets)
        {
            Directory.CreateDirectory(context.ArtifactDirectory);
            harPath = Path.Combine(context.ArtifactDirectory, "chromium.har");
        }
        var url = PageUrl(snapshot, tls);
        var timeout = TimeSpan.FromSeconds(Math.Max(5, context.TrialTimeout.TotalSeconds - 10));
        ChromiumLoadResult result;
        try
        {
            result = await ChromiumPageLoad.LoadAsync(url, configuration.Protocol, options, harPath, timeout, cancellationToken);
        }
        finally
        {
            FillLinkCounters(record, world, swapped: false);
        }
        if (world.FerryFailure is { } ferry) throw new InvalidOperationException($"the link failed: {ferry.Message}");
        await FillPacketEvidenceAsync(record, world, swapped: false, context);
        FillChromiumMetrics(record, result, snapshot);
        record.HarPath = result.HarPath;
        record.PcapPath = context.CapturePackets ? Path.Combine(context.ArtifactDirectory, "client.pcap") : null;
        if (result.TimedOut) throw new InvalidOperationException($"Chromium: the page did not load in time ({result.Error})");
        if (result.Error is not null) throw new InvalidOperationException($"Chromium: {result.Error}");
        // Chromium and the built-in client must load the same page: a blocked or failed request means they did not.
        if (result.FailedRequests.Count > 0)
            throw new InvalidOperationException(
                $"Chromium: {result.FailedRequests.Count} request(s) failed or were blocked, so it did not load the whole page (first: {result.FailedRequests[0]})");
        if (result.NegotiatedProtocol != configuration.Protocol)
            throw new InvalidOperationException($"Chromium negotiated '{result.NegotiatedProtocol}', not {configuration.Protocol}");
    }

    /// <summary>The page's URL as the trial loads it (https over TLS).</summary>
    internal static string PageUrl(Snapshot snapshot, bool tls)
    {
        var page = snapshot.Manifest.Page ?? snapshot.PageExchange?.Url ?? throw new InvalidOperationException($"site {snapshot.Name} has no page");
        var builder = new UriBuilder(page) { Scheme = tls ? "https" : "http", Port = -1 };
        return builder.Uri.AbsoluteUri;
    }

    /// <summary>
    /// Chromium's measures onto the trial's columns: PLT and onload = loadEventEnd, TTFB = responseStart,
    /// DCL = domContentLoadedEventEnd, requests = the snapshot's URLs Chromium asked for (Playwright's request
    /// events, every frame): Resource Timing leaves some fetches out (on cnn it listed 62 of the 72 URLs the
    /// HAR holds), which made Chromium look as if it loaded fewer resources than the model.
    /// Connections, header and body bytes stay null (the browser does not expose them per page; the link
    /// counters count the packets and bytes).
    /// </summary>
    internal static void FillChromiumMetrics(TrialRecord record, ChromiumLoadResult result, Snapshot snapshot)
    {
        record.PltMs = result.LoadEventEndMs;
        record.OnloadMs = result.LoadEventEndMs;
        record.TtfbMs = result.ResponseStartMs;
        record.DclMs = result.DomContentLoadedEventEndMs;
        record.Requests = RequestsOfSnapshot(snapshot, result.RequestedUrls);
    }

    /// <summary>How many of the snapshot's URLs (each once, whatever the scheme) are among <paramref name="requested"/>.</summary>
    internal static int RequestsOfSnapshot(Snapshot snapshot, IEnumerable<string> requested)
    {
        var recorded = snapshot.Exchanges.Select(e => Client.PageLoad.PageDescription.KeyOf(new Uri(e.Url))).ToHashSet(StringComparer.Ordinal);
        return requested.Where(u => Uri.TryCreate(u, UriKind.Absolute, out _))
            .Select(u => Client.PageLoad.PageDescription.KeyOf(new Uri(u)))
            .Where(recorded.Contains).Distinct(StringComparer.Ordinal).Count();
    }
}
