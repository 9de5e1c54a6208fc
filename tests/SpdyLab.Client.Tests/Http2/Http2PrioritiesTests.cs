using SpdyLab.Client.Http2;

namespace SpdyLab.Client.Tests.Http2;

public class Http2PrioritiesTests
{
    [Test]
    public void Weight_ChromiumPriorities_AreQuicheWeights() =>
        Assert.That(Enumerable.Range(0, 8).Select(Http2Priorities.Weight), Is.EqualTo(new[] { 256, 220, 183, 147, 110, 74, 37, 1 }));

    [TestCase(Http2RequestPriority.Highest, true, "u=0, i")]
    [TestCase(Http2RequestPriority.Highest, false, "u=0")]
    [TestCase(Http2RequestPriority.Medium, false, "u=1")]
    [TestCase(Http2RequestPriority.Lowest, true, "i")]
    [TestCase(Http2RequestPriority.Idle, false, "u=4")]
    public void PriorityHeader_Priority_IsRfc9218WithDefaultsLeftOut(Http2RequestPriority priority, bool incremental, string expected) =>
        Assert.That(Http2Priorities.PriorityHeader(priority, incremental), Is.EqualTo(expected));

    [Test]
    public void PriorityHeader_DefaultUrgencyNotIncremental_IsNone() =>
        Assert.That(Http2Priorities.PriorityHeader(Http2RequestPriority.Lowest, false), Is.Null);

    [Test]
    public void OnStreamOpened_MixedPriorities_DependOnTheLatestOpenStreamOfSameOrHigherPriority()
    {
        var tree = new Http2PriorityDependencies();
        var document = tree.OnStreamOpened(1, Http2Priorities.SpdyPriority(Http2RequestPriority.Highest));
        var image = tree.OnStreamOpened(3, Http2Priorities.SpdyPriority(Http2RequestPriority.Lowest));
        var css = tree.OnStreamOpened(5, Http2Priorities.SpdyPriority(Http2RequestPriority.Highest));
        var script = tree.OnStreamOpened(7, Http2Priorities.SpdyPriority(Http2RequestPriority.Medium));
        var image2 = tree.OnStreamOpened(9, Http2Priorities.SpdyPriority(Http2RequestPriority.Lowest));
        tree.OnStreamClosed(1, 0);
        tree.OnStreamClosed(5, 0);
        var css2 = tree.OnStreamOpened(11, 0);
        Assert.Multiple(() =>
        {
            Assert.That(document, Is.EqualTo(new Http2StreamPriority(0, true, 256)));
            Assert.That(image, Is.EqualTo(new Http2StreamPriority(1, true, 147)));
            Assert.That(css, Is.EqualTo(new Http2StreamPriority(1, true, 256)), "after the document, ahead of the image");
            Assert.That(script, Is.EqualTo(new Http2StreamPriority(5, true, 220)));
            Assert.That(image2, Is.EqualTo(new Http2StreamPriority(3, true, 147)), "behind the earlier image");
            Assert.That(css2, Is.EqualTo(new Http2StreamPriority(0, true, 256)), "no open stream of its priority or higher");
        });
    }
}
