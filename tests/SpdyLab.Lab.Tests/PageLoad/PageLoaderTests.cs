using System.Text.Json.Nodes;
using SpdyLab.Client.PageLoad;
using SpdyLab.Lab.Loading;
using SpdyLab.Sites.Replay;

namespace SpdyLab.Lab.Tests.PageLoad;

public class PageLoaderTests
{
    private static HashSet<string> RecordedUrls(PageDescription page) => page.Resources.Select(r => r.Url).ToHashSet();

    private static void AssertEachResourceRequestedOnce(PageDescription page, PageLoadResult result, ReplayServer server)
    {
        Assert.That(result.Failed, Is.Zero, string.Join("\n", result.ResourceList.Where(r => r.Error is not null).Select(r => $"{r.Url}: {r.Error}")));
        Assert.That(result.ResourceList.Select(r => r.Url), Is.EquivalentTo(RecordedUrls(page)), "every recorded resource loaded, none twice");
        var requested = server.Requests.Select(r => $"http://{r.Host}{r.Target}").ToList();
        Assert.That(requested, Is.EquivalentTo(RecordedUrls(page)), "the server saw each recorded URL exactly once");
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_Http11_FetchesEveryRecordedResourceExactlyOnce()
    {
        var snapshot = TestPages.Build();
        var page = SnapshotPage.From(snapshot);
        await using var server = await ReplayServer.StartAsync(snapshot);

        var result = await PageLoader.LoadAsync(page, ReplayServer.Options(server.Http11), CancellationToken.None);

        AssertEachResourceRequestedOnce(page, result, server);
        var by = result.ResourceList.ToDictionary(r => r.Url, r => r.DiscoveredBy);
        Assert.Multiple(() =>
        {
            Assert.That(by["http://www.test.example/css/print.css"], Is.EqualTo("css"), "@import found in the CSS");
            Assert.That(by["http://www.test.example/img/bg.png"], Is.EqualTo("css"), "url() found in the CSS");
            Assert.That(by["http://img.test.example/i/3.jpg"], Is.EqualTo("parser"), "img found in the gzipped HTML");
            Assert.That(by["http://www.test.example/img/in-frame.png"], Is.EqualTo("parser"), "the iframe's document is parsed too");
            Assert.That(by["http://ads.test.example/ad.js"], Is.EqualTo("script"), "script-inserted: from the recorded initiator");
            Assert.That(by["http://ads.test.example/creative.gif"], Is.EqualTo("redirect"));
            Assert.That(result.UnknownReferences, Does.Contain("http://www.test.example/missing-from-recording.png"));
            Assert.That(result.PageLoadTimeMs, Is.GreaterThan(0).And.GreaterThanOrEqualTo(result.TtfbMs));
            Assert.That(result.Down.Bodies, Is.EqualTo(snapshot.Exchanges.Sum(e => e.BodySize)));
            Assert.That(result.Up.Headers, Is.EqualTo(result.Up.Socket), "HTTP/1.1 GETs send nothing but headers");
            Assert.That(result.Down.Headers + result.Down.Bodies, Is.EqualTo(result.Down.Socket));
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_Http11_OpensAtMostSixConnectionsPerHost()
    {
        var snapshot = TestPages.Build(images: 30);
        await using var server = await ReplayServer.StartAsync(snapshot);

        var result = await PageLoader.LoadAsync(SnapshotPage.From(snapshot), ReplayServer.Options(server.Http11), CancellationToken.None);

        var serverConnectionsPerHost = server.Requests.GroupBy(r => r.Host).ToDictionary(g => g.Key, g => g.Select(r => r.Connection).Distinct().Count());
        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.Zero);
            Assert.That(result.MaxConnectionsPerHost, Is.LessThanOrEqualTo(6));
            Assert.That(serverConnectionsPerHost.Values, Has.All.LessThanOrEqualTo(6));
            Assert.That(serverConnectionsPerHost["img.test.example"], Is.GreaterThan(1), "30 images in parallel use more than one connection");
            Assert.That(result.Connections, Is.EqualTo(serverConnectionsPerHost.Values.Sum()));
            Assert.That(result.Requests, Is.EqualTo(server.Requests.Count));
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_Http11_OneHostQueueIsServedInDiscoveryOrder()
    {
        var snapshot = TestPages.Build(images: 30);
        await using var server = await ReplayServer.StartAsync(snapshot);
        var options = ReplayServer.Options(server.Http11);
        var single = new PageLoadOptions { Protocol = options.Protocol, Hosts = options.Hosts, Timeout = options.Timeout, MaxConnectionsPerHost = 1 };

        await PageLoader.LoadAsync(SnapshotPage.From(snapshot), single, CancellationToken.None);

        var images = server.Requests.Where(r => r.Host == "img.test.example" && r.Target.StartsWith("/i/", StringComparison.Ordinal)).Select(r => r.Target).ToList();
        Assert.That(images, Is.EqualTo(Enumerable.Range(0, 30).Select(i => $"/i/{i}.jpg")), "FIFO per host, in document order");
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_ScriptAfterAStylesheet_WhatTheScriptInsertsWaitsForTheStylesheet()
    {
        // A browser runs a script only after the stylesheets before it have loaded; its inserted resources come
        // after that. 200 KB of CSS over a 4 Mbit/s relay take ~400 ms; the script itself arrives much sooner.
        var snapshot = TestPages.ScriptAfterStylesheetPage(cssBytes: 200_000);
        await using var server = await ReplayServer.StartAsync(snapshot);
        await using var relay = new RateLimitedRelay(server.Http11, bitsPerSecond: 4_000_000);

        var result = await PageLoader.LoadAsync(SnapshotPage.From(snapshot), ReplayServer.Options(relay.Endpoint), CancellationToken.None);

        Assert.That(result.Failed, Is.Zero);
        var byPath = result.ResourceList.ToDictionary(r => new Uri(r.Url).AbsolutePath);
        var (css, script, inserted) = (byPath["/big.css"], byPath["/app.js"], byPath["/inserted.js"]);
        Assert.Multiple(() =>
        {
            Assert.That(script.End, Is.LessThan(css.End), "the script's bytes arrive before the stylesheet's");
            Assert.That(inserted.DiscoveredBy, Is.EqualTo("script"));
            Assert.That(inserted.Discovered, Is.GreaterThanOrEqualTo(css.End), "the inserted script is found once the stylesheet has loaded");
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_H2_FetchesEveryResourceOnceOverOneConnectionPerHost()
    {
        var snapshot = TestPages.Build();
        var page = SnapshotPage.From(snapshot);
        await using var server = await ReplayServer.StartAsync(snapshot);

        var result = await PageLoader.LoadAsync(page, ReplayServer.Options(server.H2, "h2"), CancellationToken.None);

        AssertEachResourceRequestedOnce(page, result, server);
        Assert.Multiple(() =>
        {
            Assert.That(server.Requests.Select(r => r.Protocol), Has.All.EqualTo("HTTP/2"));
            Assert.That(result.MaxConnectionsPerHost, Is.EqualTo(1));
            Assert.That(result.Connections, Is.EqualTo(3), "www, img and ads hosts");
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_Prefetch_RequestsKnownSubresourcesWhenTheDocumentHeadersArrive()
    {
        var snapshot = TestPages.Build();
        var page = SnapshotPage.From(snapshot);
        await using var server = await ReplayServer.StartAsync(snapshot);

        var result = await PageLoader.LoadAsync(page, ReplayServer.Options(server.Http11, prefetch: true), CancellationToken.None);

        AssertEachResourceRequestedOnce(page, result, server);
        Assert.That(result.ResourceList.Skip(1).Select(r => r.DiscoveredBy), Has.All.EqualTo("prefetch"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_ServerHint_FetchesHintedResourcesAtOnce()
    {
        var snapshot = TestPages.Build();
        var page = SnapshotPage.From(snapshot);
        await using var server = await ReplayServer.StartAsync(snapshot, ReplayMode.Hint);

        var result = await PageLoader.LoadAsync(page, ReplayServer.Options(server.Http11), CancellationToken.None);

        AssertEachResourceRequestedOnce(page, result, server);
        var hinted = result.ResourceList.Where(r => r.DiscoveredBy == "hint").Select(r => r.Url).ToList();
        Assert.That(hinted, Does.Contain("http://ads.test.example/ad.js"), "a script-inserted resource, known early only by the hint");
    }

    [Test, CancelAfter(30_000)]
    public async Task Har_OfALoad_HasHar12Structure()
    {
        var snapshot = TestPages.Build(images: 3);
        await using var server = await ReplayServer.StartAsync(snapshot);
        var result = await PageLoader.LoadAsync(SnapshotPage.From(snapshot), ReplayServer.Options(server.Http11), CancellationToken.None);

        var har = JsonNode.Parse(HarWriter.Serialize(result))!;

        var problems = HarStructure.Check(har);
        Assert.That(problems, Is.Empty);
        Assert.That(har["log"]!["entries"]!.AsArray(), Has.Count.EqualTo(result.ResourceList.Count));
    }

    [Test]
    public void HarStructure_MissingFields_AreReported()
    {
        var har = JsonNode.Parse("""{"log":{"version":"1.2","creator":{"name":"x"},"entries":[{"startedDateTime":"2026-01-01T00:00:00.000+00:00","time":1,"request":{},"response":{"status":200},"cache":{},"timings":{"send":-1,"wait":0,"receive":0}}]}}""")!;

        var problems = HarStructure.Check(har);

        Assert.That(problems, Does.Contain("log.creator.version: missing").And.Contain("log.entries[0].request.method: missing").And.Contain("log.entries[0].timings.send: negative"));
    }

    [Test, CancelAfter(30_000)]
    public async Task LowerBound_NeverExceedsTheMeasuredLoad()
    {
        // The server waits 20 ms per new connection and per response: a crude 20 ms round trip.
        var delay = TimeSpan.FromMilliseconds(20);
        var snapshot = TestPages.Build(images: 8);
        await using var server = await ReplayServer.StartAsync(snapshot, delay: delay);
        foreach (var prefetch in new[] { false, true })
        {
            var result = await PageLoader.LoadAsync(SnapshotPage.From(snapshot), ReplayServer.Options(server.Http11, prefetch: prefetch), CancellationToken.None);
            result.SetLink(new LinkParameters(10e9, 10e9, delay.TotalMilliseconds));

            Assert.That(result.LowerBound!.Ms, Is.LessThanOrEqualTo(result.PageLoadTimeMs), $"prefetch={prefetch}");
            Assert.That(result.LowerBound.ChainDepth, Is.EqualTo(prefetch ? 2 : 5), "document > app.js > ad.js > click > creative.gif");
        }
    }
}
