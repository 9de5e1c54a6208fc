using NUnit.Framework;
using SpdyLab.Client.PageLoad;

namespace SpdyLab.Client.Tests.PageLoad;

public class LowerBoundTests
{
    private static ResourceLoad L(PageResource r, int order, string by = "parser", bool push = false) =>
        new(r, r.Uri, order) { DiscoveredBy = by, FromPush = push };

    private static readonly PageResource Doc = new("http://a.example/", ResourceType.Document, []);
    private static readonly PageResource Css = new("http://a.example/s.css", ResourceType.Stylesheet, []) { InitiatorUrl = "http://a.example/" };
    private static readonly PageResource Img = new("http://a.example/bg.png", ResourceType.Image, []) { InitiatorUrl = "http://a.example/s.css" };

    [Test]
    public void Compute_ManySmallResources_ChainOfRoundTripsDominates()
    {
        var link = new LinkParameters(1e9, 1e9, 100);

        var bound = LowerBound.Compute([L(Doc, 0, "navigation"), L(Css, 1), L(Img, 2, "css")], 10_000, 1_000, 1, link);

        Assert.That(bound.ChainDepth, Is.EqualTo(3));
        Assert.That(bound.Ms, Is.EqualTo(400).Within(0.01), "TCP handshake + three levels");
    }

    [Test]
    public void Compute_BigPageOnSlowLink_BytesOverBandwidthDominate()
    {
        var link = new LinkParameters(2e6, 375e3, 50);

        var bound = LowerBound.Compute([L(Doc, 0, "navigation"), L(Css, 1), L(Img, 2, "css")], 1_000_000, 20_000, 3, link);

        // 3 handshake round trips + 1 for the request + 8 Mbit at 2 Mbit/s.
        Assert.That(bound.Ms, Is.EqualTo(150 + 50 + 4000).Within(0.01));
        Assert.That(bound.DownloadMs, Is.GreaterThan(bound.UploadMs).And.GreaterThan(bound.ChainMs));
    }

    [Test]
    public void Compute_PushedAndPrefetchedResources_ShortenTheChain()
    {
        var link = new LinkParameters(1e9, 1e9, 100);

        var pushed = LowerBound.Compute([L(Doc, 0, "navigation"), L(Css, 1, push: true), L(Img, 2, "css")], 0, 0, 1, link);
        var prefetched = LowerBound.Compute([L(Doc, 0, "navigation"), L(Css, 1, "prefetch"), L(Img, 2, "prefetch")], 0, 0, 1, link);

        Assert.That(pushed.ChainDepth, Is.EqualTo(2), "the image waits for the pushed stylesheet only");
        Assert.That(prefetched.ChainDepth, Is.EqualTo(2));
    }

    [Test]
    public void HandshakeRtts_TcpTls12Tls13()
    {
        Assert.That(LowerBound.HandshakeRtts(false, null), Is.EqualTo(1));
        Assert.That(LowerBound.HandshakeRtts(true, "Tls12"), Is.EqualTo(3));
        Assert.That(LowerBound.HandshakeRtts(true, "Tls13"), Is.EqualTo(2));
    }
}
