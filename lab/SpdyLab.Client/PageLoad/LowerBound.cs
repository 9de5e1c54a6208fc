namespace SpdyLab.Client.PageLoad;

/// <summary>The access link a load ran over: bandwidth each way and round-trip time.</summary>
public sealed record LinkParameters(double DownBitsPerSecond, double UpBitsPerSecond, double RttMs)
{
    public string Describe() => $"{DownBitsPerSecond / 1e6:0.###} Mbit/s down, {UpBitsPerSecond / 1e6:0.###} Mbit/s up, {RttMs:0.#} ms RTT";
}

/// <summary>
/// The fastest any client could have loaded the page over the link, so a load can be reported as a
/// multiple of the physical limit. Three limits, each a true lower bound on its own; the bound is
/// their maximum (adding them would not be a bound: bytes flow while requests travel):
/// <list type="bullet">
/// <item>download volume: the handshakes' round trips, one round trip for the first request, then every
/// byte received at the downlink rate;</item>
/// <item>upload volume: the handshakes, every byte sent at the uplink rate, then one round trip for the
/// last response to come back;</item>
/// <item>dependency chain: the handshakes, then one round trip per level of the deepest chain of
/// resources (document, stylesheet, image in it...), as a resource cannot be requested before the one
/// that references it has arrived. Pushed resources need no request; prefetched and hinted ones only
/// wait for the document's headers.</item>
/// </list>
/// Handshakes: TCP one round trip, TLS 1.2 two, TLS 1.3 one. Packet headers are left out (the bound
/// stays a bound).
/// </summary>
public static class LowerBound
{
    public sealed record Figures(double Ms, double DownloadMs, double UploadMs, double ChainMs, int ChainDepth, int HandshakeRtts, long BytesDown, long BytesUp);

    public static Figures Compute(IReadOnlyList<ResourceLoad> loads, long bytesDown, long bytesUp, int handshakeRtts, LinkParameters link)
    {
        var byKey = new Dictionary<string, ResourceLoad>(StringComparer.Ordinal);
        foreach (var load in loads)
        {
            byKey.TryAdd(load.Resource.Key, load);
        }

        var memo = new Dictionary<ResourceLoad, int>();
        int Level(ResourceLoad load, int guard)
        {
            if (memo.TryGetValue(load, out var known))
            {
                return known;
            }

            int level;
            if (load.Order == 0 || load.FromPush || guard > 64)
            {
                level = 1;
            }
            else if (load.DiscoveredBy is "prefetch" or "hint")
            {
                level = 2; // revealed by the document's headers
            }
            else if (load.Resource.InitiatorUrl is { } initiator && Uri.TryCreate(initiator, UriKind.Absolute, out var parentUrl)
                && byKey.TryGetValue(PageDescription.KeyOf(parentUrl), out var parent) && parent != load)
            {
                level = 1 + Level(parent, guard + 1);
            }
            else
            {
                level = 2;
            }

            memo[load] = level;
            return level;
        }

        var depth = loads.Where(l => l.Error is null).Select(l => Level(l, 0)).DefaultIfEmpty(1).Max();
        var rtt = link.RttMs;
        var handshakes = handshakeRtts * rtt;
        var download = handshakes + rtt + bytesDown * 8 * 1000 / link.DownBitsPerSecond;
        var upload = handshakes + bytesUp * 8 * 1000 / link.UpBitsPerSecond + rtt;
        var chain = handshakes + depth * rtt;
        return new Figures(Math.Max(download, Math.Max(upload, chain)), download, upload, chain, depth, handshakeRtts, bytesDown, bytesUp);
    }

    /// <summary>Round trips before the first request can go: TCP's, plus TLS 1.3's one or TLS 1.2's two.</summary>
    public static int HandshakeRtts(bool tls, string? tlsVersion) =>
        1 + (!tls ? 0 : tlsVersion is not null && tlsVersion.Contains("13", StringComparison.Ordinal) ? 1 : 2);
}
