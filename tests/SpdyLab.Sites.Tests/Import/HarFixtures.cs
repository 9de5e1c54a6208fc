using System.Text;
using System.Text.Json.Nodes;
using SpdyLab.Sites.Import;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Import;

/// <summary>HAR files made by the tests, with the quirks of real ones.</summary>
public static class HarFixtures
{
    public const string PageHtml = "<html><head><link rel=stylesheet href=\"/s.css\"></head><body><img src=\"http://img.example.net/a.png\"><img src=\"/missing.gif\"> caf\u00e9</body></html>";
    public const string Css = "body{background:url(/bg.gif)}";
    public static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 250, 0];

    static JsonObject Header(string name, string value) => new() { ["name"] = name, ["value"] = value };

    static JsonObject Entry(string url, int status, JsonArray responseHeaders, JsonObject content, string? referer = null, JsonArray? extraRequestHeaders = null, string started = "2010-08-30T16:47:34.209-04:00")
    {
        var requestHeaders = new JsonArray { Header("Host", new Uri(url).Host), Header("User-Agent", "Fixture/1.0"), Header("Accept-Encoding", "gzip, deflate") };
        if (referer is not null) requestHeaders.Add(Header("Referer", referer));
        foreach (var h in extraRequestHeaders ?? []) requestHeaders.Add(h!.DeepClone());
        return new JsonObject
        {
            ["startedDateTime"] = started,
            ["time"] = 50,
            ["request"] = new JsonObject { ["method"] = "GET", ["url"] = url, ["httpVersion"] = "HTTP/1.1", ["headers"] = requestHeaders, ["cookies"] = new JsonArray(), ["queryString"] = new JsonArray(), ["headersSize"] = -1, ["bodySize"] = 0 },
            ["response"] = new JsonObject { ["status"] = status, ["statusText"] = "", ["httpVersion"] = "HTTP/1.1", ["headers"] = responseHeaders, ["cookies"] = new JsonArray(), ["content"] = content, ["redirectURL"] = "", ["headersSize"] = -1, ["bodySize"] = -1 },
            ["cache"] = new JsonObject(),
            ["timings"] = new JsonObject { ["blocked"] = -1, ["dns"] = 5, ["connect"] = 10, ["send"] = 0, ["wait"] = 30, ["receive"] = 5 },
        };
    }

    /// <summary><see cref="QuirkyHar"/> written into <paramref name="folder"/>, imported and stored there as snapshot "quirky".</summary>
    public static Snapshot ImportQuirky(string folder)
    {
        var path = Path.Combine(folder, "quirky.har");
        File.WriteAllBytes(path, QuirkyHar());
        return Importers.Import(path, "quirky").WriteTo(Path.Combine(folder, "quirky"));
    }

    /// <summary>
    /// A Fiddler-like HAR with a UTF-8 byte order mark: a redirect to another host, a page stored decoded
    /// although its header says gzip, a stylesheet, a base64 PNG on a CDN host, an image whose body is
    /// missing, and an aborted request (status 0).
    /// </summary>
    public static byte[] QuirkyHar()
    {
        var entries = new JsonArray
        {
            Entry("http://www.example.com/", 302,
                [Header("Location", "http://m.example.com/"), Header("Content-Type", "text/html; charset=iso-8859-1"), Header("Content-Length", "0")],
                new JsonObject { ["size"] = 0, ["mimeType"] = "text/html" }),
            Entry("http://m.example.com/", 200,
                [Header("Content-Type", "text/html; charset=utf-8"), Header("Content-Encoding", "gzip"), Header("Vary", "Accept-Encoding"), Header("Set-Cookie", "a=1; path=/"), Header("Set-Cookie", "b=2; path=/"), Header("Transfer-Encoding", "chunked")],
                new JsonObject { ["size"] = Encoding.UTF8.GetByteCount(PageHtml), ["mimeType"] = "text/html; charset=utf-8", ["text"] = PageHtml }),
            Entry("http://m.example.com/s.css?v=3", 200,
                [Header("Content-Type", "text/css"), Header("Content-Length", Css.Length.ToString())],
                new JsonObject { ["size"] = Css.Length, ["mimeType"] = "text/css", ["text"] = Css }, referer: "http://m.example.com/"),
            Entry("http://img.example.net/a.png", 200,
                [Header("Content-Type", "image/png"), Header("Cache-Control", "max-age=3600")],
                new JsonObject { ["size"] = Png.Length, ["mimeType"] = "image/png", ["text"] = Convert.ToBase64String(Png), ["encoding"] = "base64" }, referer: "http://m.example.com/"),
            Entry("http://m.example.com/missing.gif", 200,
                [Header("Content-Type", "image/gif")],
                new JsonObject { ["size"] = 1234, ["mimeType"] = "image/gif" }, referer: "http://m.example.com/"),
            Entry("http://ads.example.org/never", 0, [], new JsonObject { ["size"] = 0, ["mimeType"] = "" }),
        };
        var har = new JsonObject
        {
            ["log"] = new JsonObject
            {
                ["version"] = "1.2",
                ["creator"] = new JsonObject { ["name"] = "Fiddler", ["version"] = "2.3.0.0" },
                ["entries"] = entries,
            },
        };
        return [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(har.ToJsonString())];
    }
}
