using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Server.Hosting;
using SpdyLab.Sites.Import;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;
using SpdyLab.Sites.Tests.Import;

namespace SpdyLab.Sites.Tests.Replay;

/// <summary>
/// HAR -> snapshot -> replay over SPDY/3.1 (our server on Kestrel, as <c>spdylab serve --site</c> runs it):
/// status, recorded headers and decoded bodies as in the HAR; in push mode the document's subresources
/// arrive as pushed streams with the recorded bodies.
/// </summary>
[CancelAfter(30_000)]
public class SpdyReplayTests
{
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    string _folder = "";

    [SetUp]
    public void SetUp() => _folder = TestSnapshots.TempFolder();

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    Snapshot ImportQuirky() => HarFixtures.ImportQuirky(_folder);

    static async Task<(WebApplication App, Uri Plain)> ServeAsync(Snapshot snapshot, ReplayMode mode)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ListenSpdy([], [new IPEndPoint(IPAddress.Loopback, 0)], certificate: null);
        var app = builder.Build();
        app.UseSnapshotReplay(new SnapshotReplayOptions { Snapshot = snapshot, Mode = mode });
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
    }

    static byte[] Decoded(byte[] body, string? contentEncoding)
    {
        if (contentEncoding != "gzip")
        {
            return body;
        }
        using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    static byte[] Content(JsonNode recorded)
    {
        var content = recorded["content"]!;
        return content["text"] is { } text
            ? content["encoding"]?.GetValue<string>() == "base64" ? Convert.FromBase64String(text.GetValue<string>()) : Encoding.UTF8.GetBytes(text.GetValue<string>())
            : [];
    }

    [Test]
    public async Task Import_ThenReplayOverSpdy_BodiesAndHeadersAsRecorded(CancellationToken cancellationToken)
    {
        var snapshot = ImportQuirky();
        var har = JsonNode.Parse(HarFixtures.QuirkyHar().AsSpan(3))!;
        var (app, plain) = await ServeAsync(snapshot, ReplayMode.Plain);
        await using var _ = app;
        using var peer = await RawSpdy.ConnectAsync(plain, cancellationToken);
        foreach (var entry in har["log"]!["entries"]!.AsArray().Take(4))
        {
            var url = new Uri(entry!["request"]!["url"]!.GetValue<string>());
            var answer = await peer.SendAsync(RawSpdy.Request(url.Host, url.PathAndQuery), Bound, cancellationToken);
            var recorded = entry["response"]!;
            Assert.That(answer.Status, Is.EqualTo(recorded["status"]!.GetValue<int>()), $"{url}: {answer}");
            // Every recorded header comes back (lowercase, as SPDY sends names), except connection framing and
            // connection-specific headers, which SPDY does not carry.
            var headers = peer.LastReplyHeaders!;
            foreach (var header in recorded["headers"]!.AsArray())
            {
                var name = header!["name"]!.GetValue<string>();
                if (name is "Content-Length" or "Transfer-Encoding")
                {
                    continue;
                }
                Assert.That(headers.GetValues(name), Does.Contain(header["value"]!.GetValue<string>()), $"{url}: {name}");
            }
            var body = Decoded(Encoding.Latin1.GetBytes(answer.Body), headers.Get("content-encoding"));
            Assert.That(body, Is.EqualTo(Content(recorded)), url.ToString());
        }
    }

    [Test]
    public async Task PushMode_OverSpdy_DocumentsSubresourcesArriveAsPushesWithRecordedBodies(CancellationToken cancellationToken)
    {
        var snapshot = ImportQuirky();
        var (app, plain) = await ServeAsync(snapshot, ReplayMode.Push);
        await using var _ = app;
        using var peer = await RawSpdy.ConnectAsync(plain, cancellationToken);

        var page = await peer.SendAsync(RawSpdy.Request("m.example.com", "/"), Bound, cancellationToken);
        var complete = await peer.FinishPushesAsync(Bound, cancellationToken);

        Assert.That(page.Status, Is.EqualTo(200), page.ToString());
        Assert.That(peer.LastReplyHeaders!.Contains(SnapshotReplayMiddleware.PushHeader), Is.False, "the push header is consumed by the server");
        Assert.That(complete, Is.True, "every push completes");
        // The page's subresources in this snapshot: the stylesheet, the CDN image (another host: pushed on the
        // single-domain session) and the synthesized image.
        var document = snapshot.Exchanges.Single(e => e.Url == "http://m.example.com/");
        var expected = snapshot.Exchanges.Where(e => e.Initiator == document.Id).ToList();
        Assert.That(peer.Pushes.Values.Select(p => p.Url).Order(), Is.EqualTo(expected.Select(e => e.Url).Order()));
        foreach (var exchange in expected)
        {
            var push = peer.Pushes.Values.Single(p => p.Url == exchange.Url);
            Assert.That(push.Body.ToArray(), Is.EqualTo(snapshot.BodyOf(exchange).ToArray()), exchange.Url);
            Assert.That(push.Headers.Get(":status"), Does.StartWith("200"), exchange.Url);
        }
    }
}
