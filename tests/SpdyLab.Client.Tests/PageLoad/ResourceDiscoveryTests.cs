using System.IO.Compression;
using System.Text;
using NUnit.Framework;
using SpdyLab.Client.PageLoad;

namespace SpdyLab.Client.Tests.PageLoad;

public class ResourceDiscoveryTests
{
    private static readonly Uri Page = new("http://www.example.com/dir/page.html");

    [Test]
    public void FromHtml_BrowserReferences_FoundInDocumentOrderWithTypes()
    {
        const string html = """
            <html><head>
            <link rel="shortcut icon" href="/favicon.ico">
            <link rel="stylesheet" href="s.css"><link rel="alternate" href="/feed.xml">
            <script src="http://cdn.example.net/a.js"></script><script>var inline = "<img src=not-a-ref.png>";</script>
            <style>#x{background:url(bg.png)} @import "imp.css";</style>
            </head><body background="/body.gif">
            <img src="i.png#frag"><input type="image" src="btn.png"><input type="text" src="no.png">
            <iframe src="//ads.example.org/f.html"></iframe><div style="background:url('/div.png')"></div>
            <a href="/link.html">not fetched</a><img src="data:image/png;base64,AAAA"><img src="javascript:void(0)">
            <object data="/movie.swf"></object><embed src="/e.swf">
            </body></html>
            """;

        var found = ResourceDiscovery.FromHtml(html, Page);

        Assert.That(found.Select(f => (f.Url.AbsoluteUri, f.Type)), Is.EqualTo(new[]
        {
            ("http://www.example.com/favicon.ico", ResourceType.Image),
            ("http://www.example.com/dir/s.css", ResourceType.Stylesheet),
            ("http://cdn.example.net/a.js", ResourceType.Script),
            ("http://www.example.com/dir/imp.css", ResourceType.Stylesheet),
            ("http://www.example.com/dir/bg.png", ResourceType.Image),
            ("http://www.example.com/body.gif", ResourceType.Image),
            ("http://www.example.com/dir/i.png", ResourceType.Image),
            ("http://www.example.com/dir/btn.png", ResourceType.Image),
            ("http://ads.example.org/f.html", ResourceType.Document),
            ("http://www.example.com/div.png", ResourceType.Image),
            ("http://www.example.com/movie.swf", ResourceType.Other),
            ("http://www.example.com/e.swf", ResourceType.Other),
        }));
    }

    [Test]
    public void FromHtml_BaseHref_ResolvesRelativeReferences()
    {
        var found = ResourceDiscovery.FromHtml("<html><head><base href=\"http://static.example.com/v2/\"></head><body><img src=\"a.png\"></body></html>", Page);

        Assert.That(found.Single().Url.AbsoluteUri, Is.EqualTo("http://static.example.com/v2/a.png"));
    }

    [Test]
    public void FromCss_ImportsAndUrls_ResolvedAgainstTheStylesheet_CommentsIgnored()
    {
        const string css = """
            @import url("print.css") print;
            @import 'other.css';
            /* #gone { background: url(/commented.png) } */
            .a { background: url(../img/a.png) no-repeat; }
            .b { background-image: url( "http://img.example.com/b.gif" ); }
            @font-face { src: url(/f/font.woff); }
            .c { background: url(data:image/gif;base64,R0lGOD); }
            """;

        var found = ResourceDiscovery.FromCss(css, new Uri("http://www.example.com/css/site.css"));

        Assert.That(found.Select(f => (f.Url.AbsoluteUri, f.Type)), Is.EqualTo(new[]
        {
            ("http://www.example.com/css/print.css", ResourceType.Stylesheet),
            ("http://www.example.com/css/other.css", ResourceType.Stylesheet),
            ("http://www.example.com/img/a.png", ResourceType.Image),
            ("http://img.example.com/b.gif", ResourceType.Image),
            ("http://www.example.com/f/font.woff", ResourceType.Font),
        }));
    }

    [Test]
    public void DecodeText_GzipAndDeflateBodies_AreDecoded()
    {
        var text = "<html><img src=x.png></html>";
        using var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Optimal, true))
        {
            z.Write(Encoding.UTF8.GetBytes(text));
        }

        using var zl = new MemoryStream();
        using (var z = new ZLibStream(zl, CompressionLevel.Optimal, true))
        {
            z.Write(Encoding.UTF8.GetBytes(text));
        }

        using var raw = new MemoryStream();
        using (var z = new DeflateStream(raw, CompressionLevel.Optimal, true))
        {
            z.Write(Encoding.UTF8.GetBytes(text));
        }

        Assert.Multiple(() =>
        {
            Assert.That(ResourceDiscovery.DecodeText(gz.ToArray(), "gzip", "text/html"), Is.EqualTo(text));
            Assert.That(ResourceDiscovery.DecodeText(zl.ToArray(), "deflate", null), Is.EqualTo(text));
            Assert.That(ResourceDiscovery.DecodeText(raw.ToArray(), "deflate", null), Is.EqualTo(text));
            Assert.That(ResourceDiscovery.DecodeText(Encoding.Latin1.GetBytes("caf\u00e9"), null, "text/html; charset=iso-8859-1"), Is.EqualTo("caf\u00e9"));
        });
    }
}
