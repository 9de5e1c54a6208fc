using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Client.PageLoad;
using SpdyLab.Lab.Browser;
using SpdyLab.Server.Hosting;
using SpdyLab.Server.Certificates;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Calibration;

/// <summary>
/// Records a snapshot's <see cref="LoadGraph"/> from real Chromium: the snapshot is replayed over TLS on
/// loopback (no link emulation, so the time between a trigger's last byte and the next request is the
/// browser's own work, not the network's), loaded once to warm the server and then <c>runs</c> times,
/// each in a fresh browser with a cold cache; every figure of the graph is the median over those loads.
/// </summary>
public static class LoadGraphRecorder
{
    /// <summary>Resource Timing initiator types whose requests never hold up the load event (XHR and fetch are
    /// asynchronous; beacons are fire-and-forget).</summary>
    private static readonly HashSet<string> NeverBlockOnload = new(StringComparer.Ordinal) { "xmlhttprequest", "fetch", "beacon" };

    public sealed record Options(int Runs = 5, string Protocol = "http/1.1", string? CertificateDirectory = null);

    public static async Task<LoadGraph> RecordAsync(Snapshot snapshot, Options options, Action<string> progress, CancellationToken cancellationToken)
    {
        if (snapshot.Directory is null) throw new ArgumentException($"snapshot '{snapshot.Name}' has no folder to write {LoadGraph.FileName} to");
        if (options.Runs < 1) throw new ArgumentOutOfRangeException(nameof(options), $"runs must be at least 1, not {options.Runs}");
        if (ChromiumLauncher.WhyUnavailable() is { } missing) throw new ChromiumUnavailableException(missing);

        var hosts = snapshot.Exchanges.Select(e => e.Host.Split(':')[0]).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var authority = LabCertificateAuthority.OpenOrCreate(options.CertificateDirectory ?? Path.Combine(LabPaths.Home, "ca"));
        var certificate = authority.IssueServerCertificate(hosts);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSpdy();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseSpdyTls(certificate, [authority.Root])));
        await using var app = builder.Build();
        app.UseSnapshotReplay(new SnapshotReplayOptions { Snapshot = snapshot });
        await app.StartAsync(cancellationToken);
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

        var chromium = new ChromiumOptions
        {
            Hosts = new Dictionary<string, IPEndPoint> { ["*"] = new(IPAddress.Loopback, port) },
            KeepUrlPort = false,
            TrustedSpkiHashes = [authority.RootSpkiHash, authority.LeafSpkiHash],
        };
        var url = Runner.WorldTrialExecutor.PageUrl(snapshot, tls: true);
        var loadAverage = ReadLoadAverage();
        var loads = new List<ChromiumLoadResult>();
        for (int run = 0; run <= options.Runs; run++)
        {
            var result = await ChromiumPageLoad.LoadAsync(url, options.Protocol, chromium, null, TimeSpan.FromSeconds(60), cancellationToken,
                settle: TimeSpan.FromMilliseconds(500));
            // Chromium runs in the root namespace here, where the lab's worlds add and remove devices: it aborts
            // requests with ERR_NETWORK_CHANGED when one comes or goes. Such a load says nothing about the page:
            // it is made again (at most 3 times per run).
            for (int retry = 0; retry < 3 && result.FailedRequests.Count > 0 && result.FailedRequests.All(f => f.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal)); retry++)
            {
                progress($"load {run}: {result.FailedRequests.Count} request(s) aborted by a network change on this host (another world); loading again");
                result = await ChromiumPageLoad.LoadAsync(url, options.Protocol, chromium, null, TimeSpan.FromSeconds(60), cancellationToken,
                    settle: TimeSpan.FromMilliseconds(500));
            }
            if (result.TimedOut || result.Error is not null)
                throw new InvalidOperationException($"Chromium's load of {url} did not complete: {result.Error}");
            if (result.FailedRequests.Count > 0)
                throw new InvalidOperationException($"Chromium's load of {url} had {result.FailedRequests.Count} failed or blocked request(s) (first: {result.FailedRequests[0]}): a graph of another page would be recorded");
            progress(run == 0
                ? $"warm-up load: {result.LoadEventEndMs:F0} ms (not counted)"
                : $"load {run}/{options.Runs}: load event end {result.LoadEventEndMs:F0} ms, {result.ResourceCount} resources, Chromium {result.BrowserVersion}");
            if (run > 0) loads.Add(result);
        }

        var graph = Build(snapshot, loads);
        graph.ManifestSha256 = LoadGraph.ManifestHash(snapshot.Directory);
        graph.RecordedWith = $"Chromium {loads[0].BrowserVersion}";
        graph.RecordedAt = DateTimeOffset.UtcNow;
        graph.LoadAverage = loadAverage;
        graph.RecordedOver = $"{options.Protocol} over TLS, loopback (no link emulation), cold cache per load";
        return graph;
    }

    /// <summary>The graph from Chromium's loads (Navigation and Resource Timing), medians over the loads.</summary>
    public static LoadGraph Build(Snapshot snapshot, IReadOnlyList<ChromiumLoadResult> loads)
    {
        var document = snapshot.PageExchange ?? throw new ArgumentException($"snapshot '{snapshot.Name}' has no page");
        var timings = loads.Select(load => load.Resources
            .Where(r => Uri.TryCreate(r.Url, UriKind.Absolute, out _))
            .GroupBy(r => PageDescription.KeyOf(new Uri(r.Url)), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)).ToList();
        var requested = loads.SelectMany(l => l.RequestedUrls)
            .Where(u => Uri.TryCreate(u, UriKind.Absolute, out _))
            .Select(u => PageDescription.KeyOf(new Uri(u))).ToHashSet(StringComparer.Ordinal);
        var byId = snapshot.Exchanges.ToDictionary(e => e.Id);
        var graph = new LoadGraph { Site = snapshot.Name, Runs = loads.Count };

        double ResponseEnd(int load, ExchangeRecord exchange) =>
            exchange == document ? loads[load].ResponseEndMs
            : timings[load].TryGetValue(KeyOf(exchange), out var t) ? t.ResponseEndMs : double.NaN;

        var seen = new HashSet<string>(StringComparer.Ordinal) { KeyOf(document) };
        foreach (var exchange in snapshot.Exchanges)
        {
            if (exchange == document || !exchange.Method.Equals("GET", StringComparison.OrdinalIgnoreCase) || !seen.Add(KeyOf(exchange))) continue;
            var trigger = exchange.Initiator is { } id && byId.TryGetValue(id, out var parent) ? parent : document;
            var raw = new List<double>();
            int blocking = 0, observed = 0;
            string? initiatorType = null;
            for (int i = 0; i < loads.Count; i++)
            {
                if (!timings[i].TryGetValue(KeyOf(exchange), out var timing)) continue;
                observed++;
                initiatorType ??= timing.InitiatorType;
                if (timing.StartMs < loads[i].LoadEventStartMs && !NeverBlockOnload.Contains(timing.InitiatorType)) blocking++;
                var triggerEnd = ResponseEnd(i, trigger);
                if (double.IsFinite(triggerEnd)) raw.Add(timing.StartMs - triggerEnd);
            }
            if (!requested.Contains(KeyOf(exchange)))
            {
                graph.Resources.Add(new GraphResource { Exchange = exchange.Id, Url = exchange.Url, Trigger = trigger.Id, Requested = false, BlocksOnload = false });
                continue;
            }
            if (observed == 0) continue; // requested but not in Resource Timing (a frame's): the model keeps its defaults
            var rawDelay = raw.Count > 0 ? Median(raw) : 0;
            graph.Resources.Add(new GraphResource
            {
                Exchange = exchange.Id,
                Url = exchange.Url,
                Trigger = trigger.Id,
                RawDelayMs = Math.Round(rawDelay, 1),
                DelayMs = Math.Round(Math.Max(0, rawDelay), 1),
                BlocksOnload = blocking * 2 > observed,
                InitiatorType = initiatorType,
            });
        }

        graph.NavigationMs = Math.Round(Median(loads.Select(l => Math.Max(0, l.FetchStartMs))), 1);
        var onload = new List<double>();
        for (int i = 0; i < loads.Count; i++)
        {
            // The last response that held the load event up, by this load's own rule (started before the load event, not async).
            var lastBlocking = loads[i].Resources
                .Where(r => r.StartMs < loads[i].LoadEventStartMs && !NeverBlockOnload.Contains(r.InitiatorType))
                .Select(r => r.ResponseEndMs).Append(loads[i].ResponseEndMs).Max();
            onload.Add(Math.Max(0, loads[i].LoadEventEndMs - lastBlocking));
        }
        graph.OnloadMs = Math.Round(Median(onload), 1);
        return graph;
    }

    private static double ReadLoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static string KeyOf(ExchangeRecord exchange) => PageDescription.KeyOf(new Uri(exchange.Url));

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return 0;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
