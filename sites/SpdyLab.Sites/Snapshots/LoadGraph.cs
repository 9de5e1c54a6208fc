using System.Security.Cryptography;
using System.Text.Json;

namespace SpdyLab.Sites.Snapshots;

/// <summary>
/// A snapshot's load graph (<c>graph.json</c> beside <c>manifest.json</c>), recorded from real Chromium by
/// <c>spdylab sites calibrate</c>, in the spirit of WProf (NSDI'13): for each resource, which resource's
/// completion let the browser find it (its trigger) and how long the browser then worked before asking for
/// it (parsing, script execution, style; network excluded), whether it held up the load event, and the work
/// before the first request and after the last one. The built-in browser model replays this graph over
/// every protocol: push, hint and prefetch change when a response is available, never the graph.
/// docs/loader.md describes the format; <see cref="CurrentVersion"/> is bumped on any incompatible change.
/// </summary>
public sealed class LoadGraph
{
    public const string FileName = "graph.json";
    public const string FormatName = "spdylab-load-graph";
    public const int CurrentVersion = 1;

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = CurrentVersion;
    public string Site { get; set; } = "";
    /// <summary>SHA-256 of the manifest.json the graph was recorded for: a graph of another recording is not used.</summary>
    public string ManifestSha256 { get; set; } = "";
    /// <summary>"Chromium 156.0.8078.129".</summary>
    public string RecordedWith { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
    /// <summary>How it was recorded: protocol, transport and link ("http/1.1 over TLS, loopback (no link emulation)").</summary>
    public string RecordedOver { get; set; } = "";
    /// <summary>The machine's 1-minute load average when recording began: the browser's work stretches on a busy CPU.</summary>
    public double LoadAverage { get; set; }
    /// <summary>Loads the medians below come from (a warm-up load not counted).</summary>
    public int Runs { get; set; }
    /// <summary>Navigation start to the document's fetch start: the browser's own work before the first request.</summary>
    public double NavigationMs { get; set; }
    /// <summary>The end of the last response that holds the load event up, to the end of the load event.</summary>
    public double OnloadMs { get; set; }
    public List<GraphResource> Resources { get; set; } = [];

    public static LoadGraph? TryLoad(Snapshot snapshot, Action<string>? warn = null)
    {
        if (snapshot.Directory is not { } directory) return null;
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        var graph = Read(path);
        var manifestHash = ManifestHash(directory);
        if (!string.Equals(graph.ManifestSha256, manifestHash, StringComparison.OrdinalIgnoreCase))
        {
            warn?.Invoke($"{path}: recorded for another version of {Snapshot.ManifestFileName} (hash differs); not used. Record it again: spdylab sites calibrate {snapshot.Name}");
            return null;
        }
        return graph;
    }

    public static LoadGraph Read(string path)
    {
        LoadGraph? graph;
        try
        {
            graph = JsonSerializer.Deserialize<LoadGraph>(File.ReadAllText(path), SnapshotManifest.JsonOptions);
        }
        catch (JsonException e)
        {
            throw new SnapshotFormatException($"{path}: not a valid load graph at line {e.LineNumber + 1}: {e.Message}", e);
        }
        if (graph is null) throw new SnapshotFormatException($"{path}: empty load graph");
        if (graph.Format != FormatName)
            throw new SnapshotFormatException($"{path}: format is '{graph.Format}', expected '{FormatName}'");
        if (graph.Version != CurrentVersion)
            throw new SnapshotFormatException($"{path}: load graph version {graph.Version} is not supported (this build reads version {CurrentVersion}); record it again with spdylab sites calibrate");
        foreach (var r in graph.Resources)
        {
            if (!double.IsFinite(r.DelayMs) || r.DelayMs < 0)
                throw new SnapshotFormatException($"{path}: exchange {r.Exchange}: delayMs must be a finite number >= 0, not {r.DelayMs}");
        }
        if (!double.IsFinite(graph.NavigationMs) || graph.NavigationMs < 0 || !double.IsFinite(graph.OnloadMs) || graph.OnloadMs < 0)
            throw new SnapshotFormatException($"{path}: navigationMs and onloadMs must be finite numbers >= 0");
        return graph;
    }

    public void Write(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(this, SnapshotManifest.JsonOptions) + "\n");

    public static string ManifestHash(string snapshotDirectory) =>
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(snapshotDirectory, Snapshot.ManifestFileName))));
}

/// <summary>One resource of a <see cref="LoadGraph"/>.</summary>
public sealed class GraphResource
{
    /// <summary>The exchange's id in the manifest.</summary>
    public int Exchange { get; set; }
    public string Url { get; set; } = "";
    /// <summary>False when Chromium asked for it in none of the loads (Flash objects, unmatched CSS images): the model does not ask either.</summary>
    public bool Requested { get; set; } = true;
    /// <summary>The exchange whose completion lets the browser find this one (the recording's initiator; the document when none).</summary>
    public int? Trigger { get; set; }
    /// <summary>
    /// Median time from the trigger's response end to this request's start in Chromium, with no network in
    /// between (loopback): the browser's work before it asked. 0 when Chromium asked before the trigger had
    /// finished arriving (its preload scanner finds references while HTML streams in).
    /// </summary>
    public double DelayMs { get; set; }
    /// <summary>Median of the raw value before clamping at 0 (negative: found while the trigger streamed in).</summary>
    public double RawDelayMs { get; set; }
    /// <summary>Whether the load event waited for it (false: started after the load event, or an XHR/fetch/beacon, which never hold it).</summary>
    public bool BlocksOnload { get; set; } = true;
    /// <summary>Chromium's Resource Timing initiatorType (link, script, img, css, xmlhttprequest, ...).</summary>
    public string? InitiatorType { get; set; }
}
