using System.Net;

namespace SpdyLab.Client.Tests;

[TestFixture]
public sealed class ResolveMapTests
{
    [Test]
    public void Lookup_AddedEntry_ReturnsItsAddresses()
    {
        var map = new ResolveMap();
        map.Add("Example.COM:443:127.0.0.2,[::1]");

        Assert.That(map.Lookup("example.com", 443), Is.EqualTo(new[] { IPAddress.Parse("127.0.0.2"), IPAddress.IPv6Loopback }));
    }

    [Test]
    public void Lookup_OtherPort_ReturnsNull()
    {
        var map = new ResolveMap();
        map.Add("example.com:443:127.0.0.2");

        Assert.That(map.Lookup("example.com", 80), Is.Null);
    }

    [Test]
    public void Lookup_WildcardHost_MatchesAnyHostOnThatPort()
    {
        var map = new ResolveMap();
        map.Add("*:8443:10.0.0.1");
        map.Add("exact.test:8443:10.0.0.2");

        Assert.That(map.Lookup("anything.test", 8443), Is.EqualTo(new[] { IPAddress.Parse("10.0.0.1") }));
        Assert.That(map.Lookup("exact.test", 8443), Is.EqualTo(new[] { IPAddress.Parse("10.0.0.2") }));
    }

    [TestCase("example.com")]
    [TestCase("example.com:443")]
    [TestCase(":443:127.0.0.1")]
    [TestCase("example.com:0:127.0.0.1")]
    [TestCase("example.com:http:127.0.0.1")]
    [TestCase("example.com:443:")]
    [TestCase("example.com:443:999.1.1.1")]
    public void Add_Malformed_ThrowsFormatException(string entry) =>
        Assert.That(() => new ResolveMap().Add(entry), Throws.TypeOf<FormatException>());
}
