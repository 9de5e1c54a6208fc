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
    public static PageDescription From(Snapshot snapshot)
    {
        var document = snapshot.PageExchange ?? throw new ArgumentException($"snapshot '{snapshot.Name}' has no exchanges");
        var byId = snapshot.Exchanges.ToDictionary(e => e.Id);
        PageResource Convert(ExchangeRecord e) => new(e.Url, TypeOf(e), e.RequestHeaders.Select(h => new KeyValuePair<string, string>(h[0], h[1])).ToList())
        {
            Method = e.Method.ToUpperInvariant(),
            InitiatorUrl = e.Initiator is { } id && byId.TryGetValue(id, out var parent) ? parent.Url : null,
            InitiatorType = e.InitiatorType,
            RecordedBodySize = e.BodySize,
        };

        var resources = snapshot.Exchanges.Where(e => e != document && e.Method.Equals("GET", StringComparison.OrdinalIgnoreCase)).Select(Convert);
        return new PageDescription(snapshot.Name, Convert(document), resources);
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
