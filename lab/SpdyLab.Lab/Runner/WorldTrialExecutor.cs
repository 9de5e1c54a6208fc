using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using SpdyLab.Emulator.Interop;
using SpdyLab.Emulator.Link;
using SpdyLab.Emulator.Worlds;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;
using SpdyLab.Server.Certificates;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// The real trial (DESIGN.md §1): a World with the trial's link and seed, the replay server on one side
/// (one address per origin host for multi-domain, one address for single-domain), the built-in client on
/// the other, the client's metrics and the link's counters into the record, and the world torn down.
/// </summary>
public sealed partial class WorldTrialExecutor : ITrialExecutor
{
    private const int PlainPort = 80, TlsPort = 443;

    private readonly ConcurrentDictionary<string, Lazy<Snapshot>> snapshots = new(StringComparer.Ordinal);
    private readonly Lazy<LabCertificateAuthority> authority =
        new(() => LabCertificateAuthority.OpenOrCreate(Path.Combine(LabPaths.Home, "ca")));
    private readonly ConcurrentDictionary<string, X509Certificate2> certificates = new(StringComparer.Ordinal);

    public void CheckReady(IReadOnlyList<PlannedTrial> trials)
    {
        if (Privileges.WhyWorldsCannotBeBuilt() is { } problem) throw new InvalidOperationException(problem);
        if (WhyChromiumTrialsCannotRun(trials) is { } chromium) throw new InvalidOperationException(chromium);
        var catalog = Commands.SitesCommand.Catalog();
        var missing = trials.Select(t => t.Site).Distinct().Where(s => catalog.Find(s) is null).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"no snapshot for site(s) {string.Join(", ", missing)} (looked in {catalog.UserFolder} and {catalog.CorpusFolder}); known: {string.Join(", ", catalog.List().Select(e => e.Name))}");
        foreach (var site in trials.Select(t => t.Site).Distinct()) SnapshotOf(site);
        World.ReapStaleWorlds();
    }

    public Task RunAsync(PlannedTrial trial, TrialRecord record, TrialContext context, CancellationToken cancellationToken) =>
        trial.Client == Clients.Chromium
            ? RunChromiumAsync(trial, record, context, cancellationToken)
            : RunInProcessAsync(trial, record, context, cancellationToken);

    /// <summary>
    /// Where each origin host is served in a world whose replay server is in the server namespace: one address
    /// per host (multi-domain; the first gets the world's own host address) or the host address for all
    /// (single-domain); and the distinct endpoints the server listens on.
    /// </summary>
    private static (Dictionary<string, IPEndPoint> Map, List<IPEndPoint> Listen) ServerNamespaceEndpoints(
        World world, IReadOnlyList<string> hosts, bool single, int port)
    {
        var map = new Dictionary<string, IPEndPoint>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts)
            map[host] = new IPEndPoint(single || map.Count == 0 ? world.HostAddress : world.AddHostAddress(), port);
        var listen = map.Values.Distinct().ToList();
        if (listen.Count == 0) listen.Add(new IPEndPoint(world.HostAddress, port));
        return (map, listen);
    }

    private static SnapshotReplayOptions ReplayOptions(Snapshot snapshot, Configuration configuration, bool single, string documentHost) => new()
    {
        Snapshot = snapshot,
        Mode = configuration.Feature switch
        {
            Features.Push => ReplayMode.Push,
            Features.Hint => ReplayMode.Hint,
            _ => ReplayMode.Plain,
        },
        // Multi-domain: only the document's own host may be pushed or hinted (one origin per session).
        IsServedHere = single ? null : host => string.Equals(host, documentHost, StringComparison.OrdinalIgnoreCase),
    };

    private static List<string> HostsOf(Snapshot snapshot) =>
        snapshot.Exchanges.Select(e => e.Host).Where(h => h.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Maps `spdylab load --json` (PageLoadResult, camelCase) onto the trial's columns.</summary>
    internal static void FillClientMetrics(TrialRecord record, string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        record.PltMs = Double(root, "pageLoadTimeMs");
        record.OnloadMs = record.PltMs;
        record.TtfbMs = Double(root, "ttfbMs");
        record.Requests = Int(root, "requests");
        record.Connections = Int(root, "connections");
        if (root.TryGetProperty("pushes", out var pushes))
        {
            record.PushesUsed = Int(pushes, "used");
            record.PushesWasted = Int(pushes, "wasted");
        }
        if (root.TryGetProperty("up", out var up))
        {
            record.BytesUp = Long(up, "socket");
            record.BodyBytesUp = Long(up, "bodies");
        }
        if (root.TryGetProperty("down", out var down))
        {
            record.BytesDown = Long(down, "socket");
            record.BodyBytesDown = Long(down, "bodies");
        }
        if (root.TryGetProperty("headerBytes", out var headers))
        {
            record.HeaderBytesUpRaw = Long(headers, "requestRaw");
            record.HeaderBytesDownRaw = Long(headers, "responseRaw");
            bool wireKnown = !headers.TryGetProperty("wireKnown", out var known) || known.ValueKind != JsonValueKind.False;
            record.HeaderBytesUpWire = wireKnown ? Long(headers, "requestWire") : null;
            record.HeaderBytesDownWire = wireKnown ? Long(headers, "responseWire") : null;
        }
        if (root.TryGetProperty("lowerBound", out var bound) && bound.ValueKind == JsonValueKind.Object)
        {
            record.LowerBoundMs = Double(bound, "ms");
        }
    }

    /// <param name="swapped">The client is on the world's host side: the world's "down" is the client's upload.</param>
    private static void FillLinkCounters(TrialRecord record, World world, bool swapped)
    {
        var clientUp = swapped ? world.Down.Counters : world.Up.Counters;
        var clientDown = swapped ? world.Up.Counters : world.Down.Counters;
        record.PacketsUp = Interlocked.Read(ref clientUp.PacketsIn);
        record.PacketsDown = Interlocked.Read(ref clientDown.PacketsIn);
        record.LinkBytesUp = Interlocked.Read(ref clientUp.BytesIn);
        record.LinkBytesDown = Interlocked.Read(ref clientDown.BytesIn);
        record.DropsLossUp = Interlocked.Read(ref clientUp.LossDrops);
        record.DropsLossDown = Interlocked.Read(ref clientDown.LossDrops);
        record.DropsQueueUp = Interlocked.Read(ref clientUp.QueueDrops);
        record.DropsQueueDown = Interlocked.Read(ref clientDown.QueueDrops);
    }

    private Snapshot SnapshotOf(string site) =>
        snapshots.GetOrAdd(site, name => new Lazy<Snapshot>(() =>
        {
            var directory = Commands.SitesCommand.Catalog().Find(name) ?? throw new InvalidOperationException($"no snapshot for site '{name}'");
            try { return Snapshot.Load(directory); }
            catch (SnapshotFormatException e) { throw new InvalidOperationException($"site '{name}': {e.Message}", e); }
        })).Value;

    private X509Certificate2 CertificateFor(string site, IReadOnlyList<string> hosts) =>
        certificates.GetOrAdd(site, _ =>
        {
            lock (authority)
            {
                return authority.Value.IssueServerCertificate(hosts);
            }
        });

    private static double? Double(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    private static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
}
