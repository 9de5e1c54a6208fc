using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;

namespace SpdyLab.Client.PageLoad;

/// <summary>
/// Writes a page load as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): one page, one entry
/// per resource in discovery order, with HAR's timing phases. Bodies are left out (content.size and
/// bodySize say how big they were). Pushed resources carry "_fromPush": true and no request phases.
/// </summary>
public static class HarWriter
{
    public static JsonObject ToHar(PageLoadResult result)
    {
        const string pageId = "page_1";
        var version = typeof(HarWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        var entries = new JsonArray();
        foreach (var load in result.Loads)
        {
            entries.Add(Entry(load, result, pageId));
        }

        return new JsonObject
        {
            ["log"] = new JsonObject
            {
                ["version"] = "1.2",
                ["creator"] = new JsonObject { ["name"] = "spdylab", ["version"] = version },
                ["browser"] = new JsonObject { ["name"] = "spdylab page loader", ["version"] = version },
                ["pages"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["startedDateTime"] = Time(result.StartedAt),
                        ["id"] = pageId,
                        ["title"] = $"{result.Site} over {result.Protocol}{(result.Tls ? " (TLS)" : string.Empty)}, {result.Sessions}, {result.Feature}",
                        ["pageTimings"] = new JsonObject
                        {
                            ["onContentLoad"] = -1,
                            ["onLoad"] = Round(result.PageLoadTimeMs),
                        },
                    },
                },
                ["entries"] = entries,
            },
        };
    }

    public static string Serialize(PageLoadResult result) => ToHar(result).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    private static JsonObject Entry(ResourceLoad load, PageLoadResult result, string pageId)
    {
        var timings = PageLoadResult.TimingsOf(load);
        var dns = -1.0; // names come from the lab's host map: no lookup happens
        var total = new[] { timings.Blocked, dns, timings.Connect, timings.Send, timings.Wait, timings.Receive }.Where(t => t > 0).Sum();
        var start = load.FromPush ? load.DiscoveredAt : load.DiscoveredAt;
        var decoded = load.Body.Length == 0 ? 0 : ResourceDiscovery.Decode(load.Body, load.GetResponseHeader("Content-Encoding")).Length;
        var mimeType = load.GetResponseHeader("Content-Type") ?? "x-unknown";
        var entry = new JsonObject
        {
            ["pageref"] = pageId,
            ["startedDateTime"] = Time(result.StartedAt.AddMilliseconds(Math.Max(0, start))),
            ["time"] = Round(total),
            ["request"] = new JsonObject
            {
                ["method"] = load.Resource.Method,
                ["url"] = load.RequestUrl.AbsoluteUri,
                ["httpVersion"] = load.HttpVersion,
                ["cookies"] = new JsonArray(),
                ["headers"] = Headers(load.FromPush ? load.Resource.RequestHeaders : load.RequestHeaders),
                ["queryString"] = Query(load.RequestUrl),
                ["headersSize"] = load.FromPush ? 0 : load.HeaderBytesKnown ? load.RequestHeaderBytes : -1,
                ["bodySize"] = 0,
            },
            ["response"] = new JsonObject
            {
                ["status"] = load.Status,
                ["statusText"] = load.StatusText,
                ["httpVersion"] = load.HttpVersion,
                ["cookies"] = new JsonArray(),
                ["headers"] = Headers(load.ResponseHeaders),
                ["content"] = new JsonObject
                {
                    ["size"] = decoded,
                    ["compression"] = decoded - load.Body.Length,
                    ["mimeType"] = mimeType,
                },
                ["redirectURL"] = load.GetResponseHeader("Location") ?? string.Empty,
                ["headersSize"] = load.HeaderBytesKnown ? load.ResponseHeaderBytes : -1,
                ["bodySize"] = load.ResponseBodyWireBytes,
            },
            ["cache"] = new JsonObject(),
            ["timings"] = new JsonObject
            {
                ["blocked"] = Round(timings.Blocked),
                ["dns"] = dns,
                ["connect"] = Round(timings.Connect),
                ["send"] = Round(Math.Max(0, timings.Send)),
                ["wait"] = Round(Math.Max(0, timings.Wait)),
                ["receive"] = Round(Math.Max(0, timings.Receive)),
                ["ssl"] = Round(timings.Ssl),
            },
            ["_resourceType"] = load.Type.Name(),
            ["_discoveredBy"] = load.DiscoveredBy,
            ["_fromPush"] = load.FromPush,
        };
        if (load.ServerAddress is { } address)
        {
            var colon = address.LastIndexOf(':');
            entry["serverIPAddress"] = (colon > 0 ? address[..colon] : address).Trim('[', ']');
        }

        if (load.ConnectionId > 0)
        {
            entry["connection"] = load.ConnectionId.ToString(CultureInfo.InvariantCulture);
        }

        if (load.Error is { } error)
        {
            entry["_error"] = error;
        }

        return entry;
    }

    private static JsonArray Headers(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var array = new JsonArray();
        foreach (var (name, value) in headers)
        {
            array.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }

        return array;
    }

    private static JsonArray Query(Uri url)
    {
        var array = new JsonArray();
        var query = url.Query.TrimStart('?');
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            array.Add(new JsonObject
            {
                ["name"] = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]),
                ["value"] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]),
            });
        }

        return array;
    }

    private static string Time(DateTimeOffset time) => time.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    private static double Round(double ms) => ms < 0 ? -1 : Math.Round(ms, 3);
}
