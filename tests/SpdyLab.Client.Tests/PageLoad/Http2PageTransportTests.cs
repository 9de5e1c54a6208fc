using System.Net;
using SpdyLab.Client.PageLoad;
using SpdyLab.Client.Tests.Support;

namespace SpdyLab.Client.Tests.PageLoad;

/// <summary>The page loader over the lab's own HTTP/2 transport, against Kestrel's HTTP/2 server.</summary>
public class Http2PageTransportTests
{
    private static readonly KeyValuePair<string, string>[] RecordedHeaders =
    [
        new("Host", "www.test.example"), new("Connection", "keep-alive"),
        new("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
        new("Accept", "*/*"), new("Accept-Encoding", "gzip, deflate"), new("Accept-Language", "en-US,en;q=0.9"),
        new("Cookie", "id=" + new string('c', 40) + "; theme=dark"),
    ];

    /// <summary>The server's /page/N: a stylesheet, a script, N images and one image the server resets.</summary>
    private static PageDescription Page(int images)
    {
        const string Origin = "http://www.test.example";
        var document = new PageResource($"{Origin}/page/{images}", ResourceType.Document, RecordedHeaders);
        var resources = new List<PageResource>
        {
            new($"{Origin}/style.css", ResourceType.Stylesheet, RecordedHeaders) { InitiatorUrl = document.Url, InitiatorType = "parser" },
            new($"{Origin}/app.js", ResourceType.Script, RecordedHeaders) { InitiatorUrl = document.Url, InitiatorType = "parser" },
            new($"{Origin}/reset", ResourceType.Image, RecordedHeaders) { InitiatorUrl = document.Url, InitiatorType = "parser" },
        };
        resources.AddRange(Enumerable.Range(0, images).Select(i => new PageResource($"{Origin}/img/{i}.png", ResourceType.Image, RecordedHeaders) { InitiatorUrl = document.Url, InitiatorType = "parser" }));
        return new PageDescription("h2page", document, resources);
    }

    private static PageLoadOptions Options(IPEndPoint endpoint, bool tls) => new()
    {
        Protocol = "h2",
        Tls = tls,
        Hosts = HostMap.All(endpoint),
        Timeout = TimeSpan.FromSeconds(30),
    };

    [Test, CancelAfter(60_000)]
    public async Task Load_300ImagesOverH2c_EveryResourceOnceOnOneConnectionWithExactHeaderBytes()
    {
        await using var server = await KestrelH2Server.StartAsync();
        var page = Page(300);

        var result = await PageLoader.LoadAsync(page, Options(server.Cleartext, tls: false), CancellationToken.None);

        var failed = result.Loads.Where(l => l.Error is not null).ToList();
        var images = result.Loads.Where(l => l.Resource.PathAndQuery.StartsWith("/img/", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(failed.Select(l => l.Resource.PathAndQuery), Is.EqualTo(new[] { "/reset" }), "only the resource the server reset fails");
            Assert.That(failed.Single().Error, Does.Contain("RST_STREAM"));
            Assert.That(server.Requests.Select(r => r.Path), Is.EquivalentTo(page.Resources.Select(r => r.PathAndQuery)), "each resource requested once");
            Assert.That(server.Requests.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(1), "one connection, more requests than Kestrel's 100 streams");
            Assert.That(images.Select(l => l.Body.Length), Is.EqualTo(images.Select(l => 1000 + (l.Resource.PathAndQuery["/img/".Length..].Length * 37))), "bodies intact");
            Assert.That(result.Connections, Is.EqualTo(1));
            Assert.That(result.HeaderBytes.WireKnown, Is.True);
            Assert.That(result.Loads.Where(l => l.Error is null), Has.All.Matches<ResourceLoad>(l => l!.HeaderBytesKnown && l.RequestHeaderBytes > 0 && l.ResponseHeaderBytes > 0));
            Assert.That(result.HeaderBytes.RequestWire, Is.EqualTo(result.Loads.Sum(l => l.RequestHeaderBytes)));
            Assert.That(result.HeaderBytes.RequestSavings, Is.GreaterThan(0.8), "HPACK's dynamic table: later requests send little more than :path");
            Assert.That(server.Requests.First(r => r.Path == "/style.css").Headers["priority"], Is.EqualTo("u=0"));
            Assert.That(server.Requests.First(r => r.Path == "/app.js").Headers["priority"], Is.EqualTo("u=1"));
            Assert.That(server.Requests.First(r => r.Path == "/img/0.png").Headers["priority"], Is.EqualTo("i"));
        });
    }

    [Test, CancelAfter(60_000)]
    public async Task Load_OverTls_NegotiatesH2AndLoadsEveryResource()
    {
        await using var server = await KestrelH2Server.StartAsync();
        var page = Page(30);

        var result = await PageLoader.LoadAsync(page, Options(server.Tls, tls: true), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.EqualTo(1), "the reset image");
            Assert.That(result.ConnectionList.Single().Alpn, Is.EqualTo("h2"));
            Assert.That(result.ConnectionList.Single().TlsMs, Is.GreaterThan(0));
            Assert.That(server.Requests.Select(r => r.Scheme), Has.All.EqualTo("https"));
            Assert.That(server.Requests, Has.Count.EqualTo(page.Resources.Count));
        });
    }

    [Test, CancelAfter(60_000)]
    public async Task Load_Har_HasEachRequestsHeaderSize()
    {
        await using var server = await KestrelH2Server.StartAsync();

        var result = await PageLoader.LoadAsync(Page(5), Options(server.Cleartext, tls: false), CancellationToken.None);

        var har = HarWriter.ToHar(result);
        var entries = har["log"]!["entries"]!.AsArray();
        Assert.That(entries.Where(e => e!["response"]!["status"]!.GetValue<int>() == 200).Select(e => e!["request"]!["headersSize"]!.GetValue<long>()), Has.All.GreaterThan(0));
    }
}
