namespace SpdyLab.Sites.Replay;

/// <summary>
/// How a page recorded over http:// is served over TLS: as a site serves it today, every origin of the
/// snapshot over https. Without this, a browser loading the https page blocks its http:// scripts,
/// stylesheets, frames and XHRs as mixed content (Chromium: 23 of bbc's 46 resources loaded) and upgrades
/// only images, so a browser and the built-in client (which fetches every URL over https in a TLS load)
/// would load different pages.
/// <list type="bullet">
/// <item>HTML responses get <c>Content-Security-Policy: upgrade-insecure-requests</c> (W3C Upgrade Insecure
/// Requests §3): the browser rewrites every http:// URL the document, its stylesheets and its scripts ask
/// for to https:// before fetching, same host and path, which is what the built-in client does. The
/// body bytes stay as recorded, so HTTP and HTTPS rows of an experiment load byte-identical pages.</item>
/// <item>Redirects to an http:// URL of one of the snapshot's hosts point at https:// instead: the
/// policy does not upgrade a top-level navigation to another host, and a TLS trial has no cleartext port.</item>
/// </list>
/// </summary>
public sealed class TlsReplay
{
    public const string PolicyHeader = "Content-Security-Policy";
    public const string UpgradePolicy = "upgrade-insecure-requests";

    private readonly HashSet<string> _hosts;

    public TlsReplay(SpdyLab.Sites.Snapshots.Snapshot snapshot)
    {
        _hosts = new HashSet<string>(snapshot.Exchanges.Select(e => e.Host), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Whether the response is a document that can reference subresources (HTML, a page or a frame).</summary>
    public static bool NeedsUpgradePolicy(SpdyLab.Sites.Snapshots.ExchangeRecord exchange)
    {
        var type = exchange.ResponseHeader("Content-Type") ?? "";
        return type.Contains("html", StringComparison.OrdinalIgnoreCase) || exchange.Type == "document";
    }

    /// <summary>A recorded header's value as served over TLS: Location (and Content-Location) pointing at
    /// http:// on a host of the snapshot become https://; everything else is served as recorded.</summary>
    public string HeaderValue(string name, string value)
    {
        if (!name.Equals("Location", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Location", StringComparison.OrdinalIgnoreCase))
            return value;
        if (!value.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || !Uri.TryCreate(value, UriKind.Absolute, out var target)
            || !_hosts.Contains(target.Authority) && !_hosts.Contains(target.Host))
            return value;
        return "https://" + value["http://".Length..];
    }
}
