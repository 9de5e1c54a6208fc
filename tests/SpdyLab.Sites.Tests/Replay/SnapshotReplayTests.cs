using System.Net;
using System.Text;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Replay;

[CancelAfter(30_000)]
public class SnapshotReplayTests
{
    [Test]
    public async Task Replay_RoutesByHost_AndServesRecordedStatusHeadersBody()
    {
        var snapshot = TestSnapshots.SmallPage().Build();
        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = snapshot });
        foreach (var exchange in snapshot.Exchanges)
        {
            using var response = await host.SendAsync(exchange.Host, exchange.Path);
            Assert.That((int)response.StatusCode, Is.EqualTo(exchange.Status), exchange.Url);
            Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(snapshot.BodyOf(exchange).ToArray()), exchange.Url);
            Assert.That(response.Content.Headers.ContentType!.ToString(), Is.EqualTo(exchange.ResponseHeader("Content-Type")));
            Assert.That(response.Headers.GetValues("X-Recorded").Single(), Is.EqualTo(exchange.Url));
        }
    }

    [Test]
    public async Task Replay_UnknownHostOrPath_Is404()
    {
        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = TestSnapshots.SmallPage().Build() });
        using var wrongHost = await host.SendAsync("img.example.net", "/s.css");
        using var wrongPath = await host.SendAsync("www.example.com", "/nope.css");
        Assert.That(wrongHost.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(wrongPath.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await wrongPath.Content.ReadAsStringAsync(), Does.Contain("GET http://www.example.com/nope.css"));
    }

    [TestCase("/../../../etc/passwd")]
    [TestCase("/%2e%2e/%2e%2e/etc/passwd")]
    [TestCase("/bodies/../manifest.json")]
    public async Task Replay_TraversalPath_IsNeverServedFromDisk(string path)
    {
        var folder = TestSnapshots.TempFolder();
        try
        {
            var snapshot = TestSnapshots.SmallPage().WriteTo(Path.Combine(folder, "small"));
            await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = snapshot });
            using var response = await host.SendAsync("www.example.com", path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("root:").And.Not.Contain("spdylab-snapshot"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public async Task Replay_ContentEncodingKept_BodyBytesAsRecorded()
    {
        var builder = new SnapshotBuilder("gz");
        var gz = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(Encoding.UTF8.GetBytes(new string('a', 1000)));
        }
        var e = TestSnapshots.Exchange("http://a.com/", "text/html", "document");
        e.ResponseHeaders.Add(["Content-Encoding", "gzip"]);
        e.ResponseHeaders.Add(["Transfer-Encoding", "chunked"]);
        e.ResponseHeaders.Add(["Content-Length", "1"]);
        builder.Add(e, gz.ToArray());
        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = builder.Build() });
        using var response = await host.SendAsync("a.com", "/");
        Assert.That(response.Content.Headers.ContentEncoding.Single(), Is.EqualTo("gzip"));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(gz.Length));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(gz.ToArray()));
    }

    [Test]
    public async Task Replay_PushMode_DocumentNamesItsSubresources()
    {
        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = TestSnapshots.SmallPage().Build(), Mode = ReplayMode.Push });
        using var document = await host.SendAsync("www.example.com", "/");
        using var css = await host.SendAsync("www.example.com", "/s.css");
        Assert.That(document.Headers.GetValues("X-Associated-Content").Single(), Is.EqualTo(
            "\"http://www.example.com/s.css\", \"http://www.example.com/a.js\", \"http://img.example.net/x.png\", \"http://www.example.com/bg.gif\""));
        Assert.That(css.Headers.Contains("X-Associated-Content"), Is.False);
        Assert.That(document.Headers.Contains("X-Subresources"), Is.False);
    }

    [Test]
    public async Task Replay_PushMode_UrlsTakeTheRequestsSchemeAndPort()
    {
        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = TestSnapshots.SmallPage().Build(), Mode = ReplayMode.Push, IsServedHere = h => h == "www.example.com" });
        using var document = await host.SendAsync("www.example.com:8080", "/");
        Assert.That(document.Headers.GetValues("X-Associated-Content").Single(), Is.EqualTo(
            "\"http://www.example.com:8080/s.css\", \"http://www.example.com:8080/a.js\", \"http://www.example.com:8080/bg.gif\""));
    }

    [Test]
    public async Task Replay_HintModeMultiDomain_NamesOnlyResourcesServedHere()
    {
        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions
        {
            Snapshot = TestSnapshots.SmallPage().Build(),
            Mode = ReplayMode.Hint,
            IsServedHere = h => h == "www.example.com",
        });
        using var document = await host.SendAsync("www.example.com", "/");
        Assert.That(document.Headers.GetValues("X-Subresources").Single(), Is.EqualTo(
            "\"http://www.example.com/s.css\", \"http://www.example.com/a.js\", \"http://www.example.com/bg.gif\""));
    }

    [Test]
    public async Task Replay_Head_HasLengthButNoBody()
    {
        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = TestSnapshots.SmallPage().Build() });
        using var response = await host.SendAsync("www.example.com", "/a.js", HttpMethod.Head);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(8));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
    }
}
