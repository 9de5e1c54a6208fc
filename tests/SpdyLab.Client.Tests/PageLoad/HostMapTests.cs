using System.Net;
using NUnit.Framework;
using SpdyLab.Client.PageLoad;

namespace SpdyLab.Client.Tests.PageLoad;

public class HostMapTests
{
    [Test]
    public void Parse_HostsFile_MapsHostsAndDefault()
    {
        var map = HostMap.Parse(["# lab hosts", "www.example.com 10.0.0.2:8080", "img.example.com 10.0.0.3  # cdn", "", "* 10.0.0.9:80"], "hosts");

        Assert.Multiple(() =>
        {
            Assert.That(map.Resolve("WWW.example.com"), Is.EqualTo(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 8080)));
            Assert.That(map.Resolve("img.example.com"), Is.EqualTo(new IPEndPoint(IPAddress.Parse("10.0.0.3"), 80)));
            Assert.That(map.Resolve("www.example.com:8080"), Is.EqualTo(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 8080)));
            Assert.That(map.Resolve("other.example.com"), Is.EqualTo(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 80)));
        });
    }

    [Test]
    public void Parse_BadLine_SaysWhereAndWhat()
    {
        var error = Assert.Throws<FormatException>(() => HostMap.Parse(["a.example 10.0.0.1", "b.example nowhere"], "hosts.txt"));

        Assert.That(error!.Message, Does.StartWith("hosts.txt:2:").And.Contain("HOST ADDR:PORT"));
    }

    [Test]
    public void Resolve_UnknownHostWithoutDefault_Throws()
    {
        var map = HostMap.Parse(["a.example 10.0.0.1:80"], "hosts");

        Assert.Throws<PageLoadException>(() => map.Resolve("b.example"));
    }
}
