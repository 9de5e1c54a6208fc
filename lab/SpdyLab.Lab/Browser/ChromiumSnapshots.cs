using System.Text.Json;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Browser;

/// <summary>
/// What a snapshot needs before Chromium can replay it over TLS. Recorded pages (2009) name their
/// subresources with http:// URLs; an https page loading them is mixed content, which Chromium blocks
/// (scripts, stylesheets, frames) or upgrades (images). The built-in client simply fetches every URL over
/// https when the load runs over TLS. To give Chromium the same page, every HTML response gets
/// <c>Content-Security-Policy: upgrade-insecure-requests</c>: the browser then rewrites each http://
/// subresource URL to https:// before fetching it (same host, same path), which is exactly what the
/// built-in client does.
/// </summary>
public static class ChromiumSnapshots
{
    public const string UpgradeHeader = "Content-Security-Policy";
    public const string UpgradeValue = "upgrade-insecure-requests";

    /// <summary>A copy of the snapshot whose HTML responses carry the upgrade policy (the original is not changed).</summary>
    public static Snapshot ForTls(Snapshot snapshot)
    {
        var manifest = JsonSerializer.Deserialize<SnapshotManifest>(
            JsonSerializer.Serialize(snapshot.Manifest, SnapshotManifest.JsonOptions), SnapshotManifest.JsonOptions)!;
        var bodies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var exchange in snapshot.Exchanges)
        {
            if (exchange.Body is { } reference) bodies.TryAdd(reference, snapshot.BodyOf(exchange).ToArray());
        }
        foreach (var exchange in manifest.Exchanges)
        {
            var type = exchange.ResponseHeader("Content-Type") ?? "";
            if (type.Contains("html", StringComparison.OrdinalIgnoreCase) || exchange.Type == "document")
                exchange.ResponseHeaders.Add([UpgradeHeader, UpgradeValue]);
        }
        return Snapshot.FromMemory(manifest, bodies);
    }
}
