namespace SpdyLab.Client.PageLoad;

/// <summary>What a resource is, which sets its priority and how its content is searched for references.</summary>
public enum ResourceType
{
    Document,
    Stylesheet,
    Script,
    Image,
    Font,
    Media,
    Other,
}

public static class ResourceTypes
{
    /// <summary>Parses a snapshot's type name (document, stylesheet, script, image, font, media, other).</summary>
    public static ResourceType Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "document" or "iframe" => ResourceType.Document,
        "stylesheet" or "css" => ResourceType.Stylesheet,
        "script" => ResourceType.Script,
        "image" => ResourceType.Image,
        "font" => ResourceType.Font,
        "media" => ResourceType.Media,
        _ => ResourceType.Other,
    };

    public static string Name(this ResourceType type) => type.ToString().ToLowerInvariant();

    /// <summary>
    /// SPDY priority on SPDY/3's scale (0 highest .. 7 lowest), as Chrome assigned them in the SPDY days:
    /// the document first, then what blocks rendering (CSS, scripts), images last.
    /// </summary>
    public static int SpdyPriority(this ResourceType type) => type switch
    {
        ResourceType.Document => 0,
        ResourceType.Stylesheet or ResourceType.Script => 1,
        ResourceType.Font => 2,
        ResourceType.Other => 3,
        ResourceType.Media => 4,
        _ => 5, // images
    };
}

/// <summary>
/// One recorded exchange of a page, as far as the loader needs it: where it is, the request headers
/// the browser sent, who caused it and what it is. Built from a snapshot by the lab (the client knows
/// nothing of the snapshot format).
/// </summary>
public sealed class PageResource
{
    public PageResource(string url, ResourceType type, IReadOnlyList<KeyValuePair<string, string>> requestHeaders)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"'{url}' is not an absolute http or https URL", nameof(url));
        }

        Url = url;
        Uri = parsed;
        Type = type;
        RequestHeaders = requestHeaders;
        var hostStart = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var pathStart = url.IndexOf('/', hostStart);
        PathAndQuery = pathStart < 0 ? "/" : url[pathStart..];
        Authority = pathStart < 0 ? url[hostStart..] : url[hostStart..pathStart];
    }

    /// <summary>The URL as recorded (its path and query are sent exactly so, without re-escaping).</summary>
    public string Url { get; }

    public Uri Uri { get; }

    /// <summary>Host (and port when not the default), as recorded.</summary>
    public string Authority { get; }

    /// <summary>The request target exactly as recorded.</summary>
    public string PathAndQuery { get; }

    public string Method { get; init; } = "GET";

    public ResourceType Type { get; }

    /// <summary>The request headers recorded for this exchange, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestHeaders { get; }

    /// <summary>The recorded URL of the resource whose content caused this request, or null (the document).</summary>
    public string? InitiatorUrl { get; init; }

    /// <summary>How the initiator referenced it: parser (HTML), css, script, redirect; null if unknown.</summary>
    public string? InitiatorType { get; init; }

    /// <summary>
    /// The browser's work between the completion of this resource's trigger (its initiator, or the document)
    /// and its request, from the snapshot's load graph (Chromium-recorded); 0 without one.
    /// </summary>
    public double DiscoveryDelayMs { get; init; }

    /// <summary>The load graph says the browser never asks for it (e.g. a Flash object): the model does not either.</summary>
    public bool NotRequestedByBrowser { get; init; }

    /// <summary>Whether the load event waits for this resource (XHRs and resources started after onload do not).</summary>
    public bool BlocksOnload { get; init; } = true;

    /// <summary>Recorded response body size on the wire (for the lower bound when nothing was measured).</summary>
    public long RecordedBodySize { get; init; }

    /// <summary>The key that identifies a URL whatever its spelling (escaping, default port, scheme).</summary>
    public string Key => PageDescription.KeyOf(Uri);
}

/// <summary>The page to load: its document and every exchange the recording knows of.</summary>
public sealed class PageDescription
{
    private readonly Dictionary<string, PageResource> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<PageResource>> _children = new(StringComparer.Ordinal);

    public PageDescription(string name, PageResource document, IEnumerable<PageResource> resources)
    {
        Name = name;
        Document = document;
        var all = new List<PageResource> { document };
        _byKey[document.Key] = document;
        foreach (var resource in resources)
        {
            // The first recording of a URL wins (a page that fetched one URL twice is loaded once).
            if (_byKey.TryAdd(resource.Key, resource))
            {
                all.Add(resource);
            }
        }

        Resources = all;
        foreach (var resource in all)
        {
            if (resource.InitiatorUrl is { } initiator && Uri.TryCreate(initiator, UriKind.Absolute, out var parent))
            {
                var key = KeyOf(parent);
                if (!_children.TryGetValue(key, out var list))
                {
                    _children[key] = list = [];
                }

                list.Add(resource);
            }
        }
    }

    public string Name { get; }

    public PageResource Document { get; }

    /// <summary>The browser's work from navigation start to asking for the document (load graph; 0 without one).</summary>
    public double NavigationDelayMs { get; init; }

    /// <summary>From the last response that holds the load event up to the end of the load event (load graph; 0 without one).</summary>
    public double OnloadDelayMs { get; init; }

    /// <summary>Where the timing model came from: "load graph (Chromium ..., recorded ...)" or "heuristic".</summary>
    public string TimingModel { get; init; } = "heuristic";

    /// <summary>Every resource, the document first, each URL once.</summary>
    public IReadOnlyList<PageResource> Resources { get; }

    public PageResource? Find(Uri url) => _byKey.GetValueOrDefault(KeyOf(url));

    /// <summary>The recorded resources whose initiator is <paramref name="parent"/>, in recorded order.</summary>
    public IReadOnlyList<PageResource> ChildrenOf(PageResource parent) =>
        _children.TryGetValue(parent.Key, out var list) ? list : [];

    /// <summary>Depth of the initiator chain ending at <paramref name="resource"/> (the document is 1).</summary>
    public int DepthOf(PageResource resource)
    {
        var depth = 1;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var current = resource;
        while (current.InitiatorUrl is { } initiator && seen.Add(current.Key)
            && Uri.TryCreate(initiator, UriKind.Absolute, out var parentUri) && Find(parentUri) is { } parent)
        {
            depth++;
            current = parent;
        }

        return depth;
    }

    /// <summary>Scheme-less, unescaped-then-escaped host and path: http and https spellings of one URL meet.</summary>
    public static string KeyOf(Uri url)
    {
        var host = url.IsDefaultPort ? url.IdnHost.ToLowerInvariant() : $"{url.IdnHost.ToLowerInvariant()}:{url.Port}";
        return host + Uri.UnescapeDataString(url.PathAndQuery);
    }
}
