using SpdyLab.Server.Push;

namespace SpdyLab.Server.Tests.Push;

public class AssociatedContentTests
{
    [Test]
    public void Parse_ModSpdyFormat_UrlsAndPriorities()
    {
        var entries = AssociatedContent.Parse("\"https://www.example.com/a.css\":1, \"/b.js\",\"/c.png\" : 7");

        Assert.That(entries, Is.EqualTo(new[]
        {
            new AssociatedContent.Entry("https://www.example.com/a.css", 1),
            new AssociatedContent.Entry("/b.js", null),
            new AssociatedContent.Entry("/c.png", 7),
        }));
    }

    [Test]
    public void Parse_UnquotedAndGarbage_KeepsWhatIsReadable()
    {
        var entries = AssociatedContent.Parse("/a.css, , \"/b.js\":x, \"unterminated");

        Assert.That(entries.Select(e => e.Url), Is.EqualTo(new[] { "/a.css", "/b.js" }));
        Assert.That(entries[1].Priority, Is.Null);
    }

    [Test]
    public void Parse_PriorityOutOfRange_Clamped()
    {
        Assert.That(AssociatedContent.Parse("\"/a\":99")[0].Priority, Is.EqualTo(7));
    }

    [TestCase("/x.css?v=1", "https", "www.example.com", "/x.css?v=1")]
    [TestCase("https://www.example.com/x.css", "https", "www.example.com", "/x.css")]
    [TestCase("https://www.example.com:443/x.css", "https", "www.example.com", "/x.css")]
    [TestCase("http://localhost:8080/x.css", "http", "localhost:8080", "/x.css")]
    public void Resolve_SameOrigin_Target(string url, string scheme, string host, string expectedPath)
    {
        var target = AssociatedContent.Resolve(new AssociatedContent.Entry(url, null), scheme, host);

        Assert.That(target?.PathAndQuery, Is.EqualTo(expectedPath));
        Assert.That(target?.Host, Is.EqualTo(host));
    }

    [TestCase("https://other.example.com/x.css")]
    [TestCase("http://www.example.com/x.css")]
    [TestCase("//www.example.com/x.css")]
    [TestCase("ftp://www.example.com/x")]
    [TestCase("x.css")]
    public void Resolve_OtherOriginOrNotUrl_Null(string url)
    {
        Assert.That(AssociatedContent.Resolve(new AssociatedContent.Entry(url, null), "https", "www.example.com"), Is.Null);
    }

    [Test]
    public void Resolve_OtherHostAllowed_TargetWithThatHost()
    {
        var target = AssociatedContent.Resolve(new AssociatedContent.Entry("https://static.example.com:8443/a.png?x=1", 3), "https", "www.example.com:8443", allowOtherHosts: true);

        Assert.That(target, Is.EqualTo(new SpdyLab.Server.Http.PushTarget("https", "static.example.com:8443", "/a.png?x=1", 3)));
    }

    [Test]
    public void Resolve_OtherSchemeEvenWhenOtherHostsAllowed_Null()
    {
        Assert.That(AssociatedContent.Resolve(new AssociatedContent.Entry("http://www.example.com/a.png", null), "https", "www.example.com", allowOtherHosts: true), Is.Null);
    }
}
