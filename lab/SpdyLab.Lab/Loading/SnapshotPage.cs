using SpdyLab.Client.PageLoad;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Loading;

/// <summary>
/// Turns a snapshot into the page description the built-in loader needs (the client may not know the
/// snapshot format, DESIGN.md §2): the document, and per recorded exchange its URL, recorded request
/// headers, initiator and resource type.
/// </summary>
public static class SnapshotPage
{
    /// <param name="warn">Told when the snapshot's load graph exists but cannot be used (recorded for another manifest).</param>
    public static PageDescription From(Snapshot snapshot, Action<string>? warn = null)
    {
        var document = snapshot.PageExchange ?? throw new ArgumentException($"snapshot '{snapshot.Name}' has no exchanges");
        var byId = snapshot.Exchanges.ToDictionary(e => e.Id);
        var graph = LoadGraph.TryLoad(snapshot, warn);
        var timing = graph?.Resources.ToDictionary(r => r.Exchange);
        PageResource Convert(ExchangeRecord e)
        {
            GraphResource? recorded = null;
            timing?.TryGetValue(e.Id, out recorded);
            return new(e.Url, TypeOf(e), e.RequestHeaders.Select(h => new KeyValuePair<string, string>(h[0], h[1])).ToList())
            {
                Method = e.Method.ToUpperInvariant(),
                InitiatorUrl = e.Initiator is { } id && byId.TryGetValue(id, out var parent) ? parent.Url : null,
                InitiatorType = e.InitiatorType,
                RecordedBodySize = e.BodySize,
                DiscoveryDelayMs = recorded?.DelayMs ?? 0,
                NotRequestedByBrowser = recorded is { Requested: false },
                // Heuristic without a graph (or for what Chromium never asked for): only XHRs leave the load event
                // alone (asynchronous XHR never delays it, HTML spec "delay the load event").
                BlocksOnload = recorded?.BlocksOnload ?? !string.Equals(e.Type, "xhr", StringComparison.OrdinalIgnoreCase),
            };
        }

        var resources = snapshot.Exchanges.Where(e => e != document && e.Method.Equals("GET", StringComparison.OrdinalIgnoreCase)).Select(Convert);
        return new PageDescription(snapshot.Name, Convert(document), resources)
        {
            NavigationDelayMs = graph?.NavigationMs ?? 0,
            OnloadDelayMs = graph?.OnloadMs ?? 0,
            TimingModel = graph is null ? "heuristic" : $"load graph ({graph.RecordedWith}, {graph.RecordedOver}, {graph.RecordedAt:yyyy-MM-dd})",
        };
    }

    /// <summary>The recorded type, else one guessed from the Content-Type.</summary>
    public static ResourceType TypeOf(ExchangeRecord e)
    {
        if (e.Type is { } type)
        {
            return ResourceTypes.Parse(type);
        }

        var contentType = e.ResponseHeader("Content-Type") ?? string.Empty;
        return contentType switch
        {
            _ when contentType.Contains("html", StringComparison.OrdinalIgnoreCase) => ResourceType.Document,
            _ when contentType.Contains("css", StringComparison.OrdinalIgnoreCase) => ResourceType.Stylesheet,
            _ when contentType.Contains("javascript", StringComparison.OrdinalIgnoreCase) || contentType.Contains("ecmascript", StringComparison.OrdinalIgnoreCase) => ResourceType.Script,
            _ when contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) => ResourceType.Image,
            _ when contentType.Contains("font", StringComparison.OrdinalIgnoreCase) => ResourceType.Font,
            _ => ResourceType.Other,
        };
    }
}
