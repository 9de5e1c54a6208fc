using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SpdyLab.Sites.Import;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Import;

/// <summary>Mahimahi folders (both record formats) and Web Page Replay archives, written by the tests.</summary>
[CancelAfter(30_000)]
public class ArchiveImportTests
{
    string _folder = "";

    [SetUp]
    public void SetUp() => _folder = TestSnapshots.TempFolder();

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    static readonly byte[] GzippedPage = Gzip("<html><img src=\"http://cdn.example.com/logo.gif\"></html>");

    static byte[] Gzip(string text)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        return output.ToArray();
    }

    // Protobuf writer for the fixtures: key varint (field << 3 | wire type), then the value.
    static void Varint(MemoryStream s, ulong v)
    {
        while (v >= 0x80) { s.WriteByte((byte)(v | 0x80)); v >>= 7; }
        s.WriteByte((byte)v);
    }

    static void Bytes(MemoryStream s, int field, byte[] value)
    {
        Varint(s, (ulong)(field << 3 | 2));
        Varint(s, (ulong)value.Length);
        s.Write(value);
    }

    static void Number(MemoryStream s, int field, ulong value)
    {
        Varint(s, (ulong)(field << 3));
        Varint(s, value);
    }

    static byte[] HttpMessageProto(string firstLine, (string, string)[] headers, byte[] body, bool current)
    {
        var m = new MemoryStream();
        Bytes(m, 1, Encoding.ASCII.GetBytes(current ? firstLine : firstLine + "\r\n"));
        foreach (var (k, v) in headers)
        {
            if (current)
            {
                var h = new MemoryStream();
                Bytes(h, 1, Encoding.ASCII.GetBytes(k));
                Bytes(h, 2, Encoding.ASCII.GetBytes(v));
                Bytes(m, 2, h.ToArray());
            }
            else
            {
                Bytes(m, 2, Encoding.ASCII.GetBytes($"{k}: {v}\r\n"));
            }
        }
        Bytes(m, 3, body);
        return m.ToArray();
    }

    static byte[] RequestResponse(string host, string path, int status, (string, string)[] responseHeaders, byte[] body, bool https = false)
    {
        var m = new MemoryStream();
        Bytes(m, 1, Encoding.ASCII.GetBytes("93.184.216.34"));
        Number(m, 2, https ? 443UL : 80UL);
        Number(m, 3, https ? 2UL : 1UL);
        Bytes(m, 4, HttpMessageProto($"GET {path} HTTP/1.1", [("Host", host), ("Accept-Encoding", "gzip")], [], current: true));
        Bytes(m, 5, HttpMessageProto($"HTTP/1.1 {status} OK", responseHeaders, body, current: true));
        return m.ToArray();
    }

    static byte[] ReqRespPair(string host, string path, int status, (string, string)[] responseHeaders, byte[] body)
    {
        var m = new MemoryStream();
        Bytes(m, 1, HttpMessageProto($"GET {path} HTTP/1.1", [("Host", host)], [], current: false));
        Bytes(m, 2, HttpMessageProto($"HTTP/1.1 {status} OK", responseHeaders, body, current: false));
        return m.ToArray();
    }

    [Test]
    public async Task Mahimahi_RequestResponseRecords_ImportAndReplayWireBytes()
    {
        var dir = Path.Combine(_folder, "recorded");
        Directory.CreateDirectory(dir);
        var chunked = Encoding.ASCII.GetBytes("5\r\nGIF89\r\n3\r\na..\r\n0\r\n\r\n");
        File.WriteAllBytes(Path.Combine(dir, "save.Ab3"), RequestResponse("cdn.example.com", "/logo.gif", 200, [("Content-Type", "image/gif"), ("Transfer-Encoding", "chunked")], chunked));
        File.WriteAllBytes(Path.Combine(dir, "save.Zz9"), RequestResponse("www.example.com", "/", 200, [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", GzippedPage.Length.ToString())], GzippedPage));
        var snapshot = Importers.Import(dir, "mm").WriteTo(Path.Combine(_folder, "mm"));

        Assert.That(snapshot.Manifest.Page, Is.EqualTo("http://www.example.com/"));
        Assert.That(snapshot.Manifest.Source, Does.Contain("RequestResponse"));
        var gif = snapshot.Exchanges.Single(e => e.Host == "cdn.example.com");
        Assert.That(snapshot.BodyOf(gif).ToArray(), Is.EqualTo(Encoding.ASCII.GetBytes("GIF89a..")));
        Assert.That(gif.Flags, Does.Contain(ExchangeFlags.BodyDechunked));

        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = snapshot });
        using var page = await host.SendAsync("www.example.com", "/");
        Assert.That(page.Content.Headers.ContentEncoding, Is.EqualTo(new[] { "gzip" }));
        Assert.That(await page.Content.ReadAsByteArrayAsync(), Is.EqualTo(GzippedPage));
    }

    [Test]
    public void Mahimahi_OlderReqrespairRecords_Import()
    {
        var dir = Path.Combine(_folder, "old");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "save.1"), ReqRespPair("www.example.com", "/a.css", 200, [("Content-Type", "text/css")], Encoding.ASCII.GetBytes("a{}")));
        var snapshot = MahimahiImporter.Import(dir, "old").Build();
        var e = snapshot.Exchanges.Single();
        Assert.That((e.Url, e.Status, e.ResponseHeader("Content-Type")), Is.EqualTo(("http://www.example.com/a.css", 200, "text/css")));
        Assert.That(snapshot.Manifest.Source, Does.Contain("reqrespair"));
    }

    [Test]
    public void Mahimahi_OlderRecordWithBlankLineStored_HeadersAndBodyClean()
    {
        // The blank line closing the head stored as a last header line, or at the start of the body.
        var dir = Path.Combine(_folder, "old-blank");
        Directory.CreateDirectory(dir);
        var asHeader = new MemoryStream();
        Bytes(asHeader, 1, HttpMessageProto("GET /a.css HTTP/1.1", [("Host", "www.example.com")], [], current: false));
        var response = new MemoryStream();
        response.Write(HttpMessageProto("HTTP/1.1 200 OK", [("Content-Type", "text/css")], [], current: false)[..^2]); // without its empty body field
        Bytes(response, 2, Encoding.ASCII.GetBytes("\r\n"));
        Bytes(response, 3, Encoding.ASCII.GetBytes("a{}"));
        Bytes(asHeader, 2, response.ToArray());
        File.WriteAllBytes(Path.Combine(dir, "save.1"), asHeader.ToArray());
        File.WriteAllBytes(Path.Combine(dir, "save.2"), ReqRespPair("www.example.com", "/b.js", 200,
            [("Content-Type", "text/javascript"), ("Content-Length", "4")], Encoding.ASCII.GetBytes("\r\nf();")));

        var snapshot = MahimahiImporter.Import(dir, "old").Build();

        var css = snapshot.Exchanges.Single(e => e.Path == "/a.css");
        Assert.That(css.ResponseHeaders.Select(h => h[0]), Is.EqualTo(new[] { "Content-Type" }));
        Assert.That(snapshot.BodyOf(css).ToArray(), Is.EqualTo(Encoding.ASCII.GetBytes("a{}")));
        var js = snapshot.Exchanges.Single(e => e.Path == "/b.js");
        Assert.That(snapshot.BodyOf(js).ToArray(), Is.EqualTo(Encoding.ASCII.GetBytes("f();")));
    }

    [Test]
    public void Mahimahi_TruncatedRecord_NamesTheFileAndByte()
    {
        var dir = Path.Combine(_folder, "bad");
        Directory.CreateDirectory(dir);
        var record = RequestResponse("www.example.com", "/", 200, [("Content-Type", "text/html")], [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(dir, "save.x"), record[..^10]);
        var e = Assert.Throws<SnapshotFormatException>(() => Importers.Import(dir, "bad"));
        Assert.That(e!.Message, Does.Contain("save.x").And.Contain("byte"));
    }

    static string Wpr(string path, Dictionary<string, Dictionary<string, (string Request, byte[] Response)>> requests)
    {
        var root = new JsonObject();
        var hosts = new JsonObject();
        foreach (var (host, urls) in requests)
        {
            var byUrl = new JsonObject();
            foreach (var (url, pair) in urls)
            {
                byUrl[url] = new JsonArray(new JsonObject
                {
                    ["SerializedRequest"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(pair.Request)),
                    ["SerializedResponse"] = Convert.ToBase64String(pair.Response),
                    ["LastServedSessionId"] = 0,
                });
            }
            hosts[host] = byUrl;
        }
        root["Requests"] = hosts;
        root["DeterministicTimeSeedMs"] = 1262304000000;
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(root.ToJsonString()));
        }
        return path;
    }

    [Test]
    public async Task Wpr_Archive_ImportsAndReplays()
    {
        var response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
            .Concat(Encoding.ASCII.GetBytes($"{GzippedPage.Length:x}\r\n")).Concat(GzippedPage).Concat("\r\n0\r\n\r\n"u8.ToArray()).ToArray();
        var redirect = Encoding.ASCII.GetBytes("HTTP/1.1 301 Moved Permanently\r\nLocation: https://www.example.com/\r\nContent-Length: 0\r\n\r\n");
        var path = Wpr(Path.Combine(_folder, "site.wprgo"), new()
        {
            ["example.com"] = new() { ["http://example.com/"] = ("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", redirect) },
            ["www.example.com"] = new() { ["https://www.example.com/"] = ("GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n", response) },
        });
        var snapshot = Importers.Import(path, "wpr").WriteTo(Path.Combine(_folder, "wpr"));
        Assert.That(snapshot.Exchanges.Select(e => e.Url), Is.EquivalentTo(new[] { "http://example.com/", "https://www.example.com/" }));
        var page = snapshot.Exchanges.Single(e => e.Scheme == "https");
        Assert.That(snapshot.BodyOf(page).ToArray(), Is.EqualTo(GzippedPage));
        Assert.That(page.Initiator, Is.EqualTo(snapshot.Exchanges.Single(e => e.Status == 301).Id));

        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = snapshot });
        using var moved = await host.SendAsync("example.com", "/");
        Assert.That(moved.StatusCode, Is.EqualTo(HttpStatusCode.MovedPermanently));
        Assert.That(moved.Headers.Location, Is.EqualTo(new Uri("https://www.example.com/")));
        // Served over plain HTTP here: the https recording answers through the other-scheme rule.
        using var served = await host.SendAsync("www.example.com", "/");
        Assert.That(await served.Content.ReadAsByteArrayAsync(), Is.EqualTo(GzippedPage));
    }

    [Test]
    public void Wpr_NotGzip_IsRejectedWithTheFileName()
    {
        var path = Path.Combine(_folder, "bad.wprgo");
        File.WriteAllText(path, "{\"Requests\": {}}");
        var e = Assert.Throws<SnapshotFormatException>(() => Importers.Import(path, "bad"));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("gzip"));
    }
}
