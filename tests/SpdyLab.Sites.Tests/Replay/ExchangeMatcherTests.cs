using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Replay;

public class ExchangeMatcherTests
{
    static ExchangeMatcher Matcher(params string[] urls) =>
        new(urls.Select((u, i) => { var e = TestSnapshots.Exchange(u, "text/plain"); e.Id = i; return e; }).ToList());

    [Test]
    public void Match_ExactUrl_IsExact()
    {
        var m = Matcher("http://a.com/x?q=1", "http://a.com/x?q=2");
        var (e, kind) = m.Match("GET", "http", "a.com", "/x?q=2");
        Assert.That((e!.Id, kind), Is.EqualTo((1, ExchangeMatcher.MatchKind.Exact)));
    }

    [Test]
    public void Match_HostCaseAndDefaultPort_AreIgnored()
    {
        var m = Matcher("http://a.com/x");
        Assert.That(m.Match("get", "http", "A.COM:80", "/x").Exchange?.Id, Is.EqualTo(0));
        Assert.That(m.Match("GET", "http", "a.com:8080", "/x").Exchange?.Id, Is.EqualTo(0));
    }

    [Test]
    public void Match_OtherScheme_FallsBack()
    {
        var m = Matcher("http://a.com/x", "https://b.com/y");
        Assert.That(m.Match("GET", "https", "a.com", "/x"), Is.EqualTo((m.Match("GET", "http", "a.com", "/x").Exchange, ExchangeMatcher.MatchKind.OtherScheme)));
        Assert.That(m.Match("GET", "http", "b.com", "/y").Exchange?.Id, Is.EqualTo(1));
    }

    [Test]
    public void Match_DifferentQuery_PicksBestParameterOverlap()
    {
        var m = Matcher("http://a.com/ad?slot=1&t=100", "http://a.com/ad?slot=2&t=100", "http://a.com/ad?slot=2&t=200&x=1");
        var (e, kind) = m.Match("GET", "http", "a.com", "/ad?slot=2&t=999&x=1");
        Assert.That((e!.Id, kind), Is.EqualTo((2, ExchangeMatcher.MatchKind.QueryOverlap)));
        Assert.That(m.Match("GET", "http", "a.com", "/ad?slot=2&t=5").Exchange!.Id, Is.EqualTo(1));
    }

    [Test]
    public void Match_Tie_GoesToFirstRecorded()
    {
        var m = Matcher("http://a.com/r?c=1", "http://a.com/r?c=2");
        Assert.That(m.Match("GET", "http", "a.com", "/r?c=3").Exchange!.Id, Is.EqualTo(0));
        Assert.That(m.Match("GET", "http", "a.com", "/r").Exchange!.Id, Is.EqualTo(0));
    }

    [Test]
    public void Match_UnknownPathHostOrMethod_IsNone()
    {
        var m = Matcher("http://a.com/x");
        Assert.That(m.Match("GET", "http", "a.com", "/y").Kind, Is.EqualTo(ExchangeMatcher.MatchKind.None));
        Assert.That(m.Match("GET", "http", "b.com", "/x").Kind, Is.EqualTo(ExchangeMatcher.MatchKind.None));
        Assert.That(m.Match("POST", "http", "a.com", "/x").Kind, Is.EqualTo(ExchangeMatcher.MatchKind.None));
    }

    [Test]
    public void Match_Head_UsesGetRecording()
    {
        var m = Matcher("http://a.com/x");
        Assert.That(m.Match("HEAD", "http", "a.com", "/x").Exchange?.Id, Is.EqualTo(0));
    }
}
