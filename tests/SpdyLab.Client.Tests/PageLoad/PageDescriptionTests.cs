using NUnit.Framework;
using SpdyLab.Client.PageLoad;

namespace SpdyLab.Client.Tests.PageLoad;

public class PageDescriptionTests
{
    private static PageResource R(string url, ResourceType type, string? initiator = null) => new(url, type, []) { InitiatorUrl = initiator };

    [Test]
    public void Find_OtherSchemeOrEscaping_FindsTheRecordedResource()
    {
        var page = new PageDescription("p", R("http://a.example/", ResourceType.Document), [R("http://a.example/x%2Cy.png?q=1", ResourceType.Image, "http://a.example/")]);

        Assert.Multiple(() =>
        {
            Assert.That(page.Find(new Uri("https://a.example/x,y.png?q=1"))?.Url, Is.EqualTo("http://a.example/x%2Cy.png?q=1"));
            Assert.That(page.Find(new Uri("http://a.example/other.png")), Is.Null);
            Assert.That(page.Resources[1].PathAndQuery, Is.EqualTo("/x%2Cy.png?q=1"), "sent exactly as recorded");
        });
    }

    [Test]
    public void ChildrenAndDepth_FollowTheRecordedInitiators()
    {
        var page = new PageDescription("p", R("http://a.example/", ResourceType.Document),
        [
            R("http://a.example/s.css", ResourceType.Stylesheet, "http://a.example/"),
            R("http://a.example/bg.png", ResourceType.Image, "http://a.example/s.css"),
            R("http://a.example/s.css", ResourceType.Stylesheet), // a second recording of one URL is dropped
        ]);

        Assert.Multiple(() =>
        {
            Assert.That(page.Resources, Has.Count.EqualTo(3));
            Assert.That(page.ChildrenOf(page.Resources[1]).Select(c => c.Url), Is.EqualTo(new[] { "http://a.example/bg.png" }));
            Assert.That(page.DepthOf(page.Resources[2]), Is.EqualTo(3));
        });
    }

    [Test]
    public void SpdyPriority_DocumentAboveCssAndScriptsAboveImages()
    {
        Assert.That(ResourceType.Document.SpdyPriority(), Is.LessThan(ResourceType.Stylesheet.SpdyPriority()));
        Assert.That(ResourceType.Script.SpdyPriority(), Is.EqualTo(ResourceType.Stylesheet.SpdyPriority()));
        Assert.That(ResourceType.Script.SpdyPriority(), Is.LessThan(ResourceType.Image.SpdyPriority()));
    }
}
