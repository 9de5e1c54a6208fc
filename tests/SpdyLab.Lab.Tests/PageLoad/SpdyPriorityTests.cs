using SpdyLab.Client.PageLoad;
using SpdyLab.Lab.Loading;
using SpdyLab.Sites.Replay;

namespace SpdyLab.Lab.Tests.PageLoad;

/// <summary>
/// SPDY priorities when bandwidth is scarce: the lab's SPDY server behind a rate-limited loopback relay
/// (no root needed), the page loader on one session.
/// </summary>
public class SpdyPriorityTests
{
    [Test, CancelAfter(30_000)]
    public async Task Load_SpdyOnAScarceLink_CssAndJsRequestedAfterALargeImageFinishFirst()
    {
        // 300 KB image named first, then 400 KB of CSS and 400 KB of JS, over 4 Mbit/s: about 2.2 s of transfer.
        // The stylesheet and script are larger than the image, so only priorities can finish them first:
        // first-come-first-served or round-robin among streams would complete the image before either (checked
        // by giving every type the same priority: the image then ends first or together with the script).
        // The server's socket send buffer is pinned to 16 KB: with 64 KB stream windows, whatever the path can
        // queue beyond the high-priority streams' windows is filled with image data while those streams wait
        // for WINDOW_UPDATE (docs/loader.md, "Priorities and buffers"); Linux autotuning on loopback would
        // queue about a megabyte there.
        var snapshot = TestPages.PriorityPage(imageBytes: 300_000, cssBytes: 400_000, jsBytes: 400_000);
        var page = SnapshotPage.From(snapshot);
        await using var server = await SpdyPageLoadTests.SpdyReplayServer.StartAsync(snapshot, ReplayMode.Plain, socketSendBuffer: 16 * 1024);
        await using var relay = new RateLimitedRelay(server.Endpoint, bitsPerSecond: 4_000_000);

        var result = await PageLoader.LoadAsync(page, SpdyPageLoadTests.Options(relay.Endpoint, "spdy/3.1", singleDomain: true), CancellationToken.None);

        Assert.That(result.Failed, Is.Zero, string.Join("\n", result.ResourceList.Where(r => r.Error is not null).Select(r => $"{r.Url}: {r.Error}")));
        var byPath = result.ResourceList.ToDictionary(r => new Uri(r.Url).AbsolutePath);
        var image = byPath["/big.jpg"];
        var css = byPath["/late.css"];
        var js = byPath["/late.js"];
        var ends = $"ends: image {image.End:F0} ms, css {css.End:F0} ms, js {js.End:F0} ms; PLT {result.PageLoadTimeMs:F0} ms";
        TestContext.Out.WriteLine(ends);

        Assert.Multiple(() =>
        {
            Assert.That(image.Order, Is.LessThan(css.Order).And.LessThan(js.Order), "the image is discovered (and requested) first");
            Assert.That(css.End, Is.LessThan(image.End), ends);
            Assert.That(js.End, Is.LessThan(image.End), ends);
            Assert.That(result.PageLoadTimeMs, Is.GreaterThan(1500), "the relay limits the rate (1.1 MB at 4 Mbit/s takes 2.2 s)");
        });
    }
}
