using System.Text;
using Microsoft.AspNetCore.Http;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Replay;

/// <summary>A page recorded over http:// and replayed over TLS is served with every origin over https.</summary>
public class TlsReplayTests
{
    private static SnapshotBuilder PageWithRedirect()
    {
        var b = TestSnapshots.SmallPage();
        var redirect = TestSnapshots.Exchange("http://www.example.com/old", "text/html", status: 302);
        redirect.ResponseHeaders.Add(["Location", "http://img.example.net/x.png"]);
        b.Add(redirect, []);
        var away = TestSnapshots.Exchange("http://www.example.com/away", "text/html", status: 302);
        away.ResponseHeaders.Add(["Location", "http://elsewhere.example.org/"]);
        b.Add(away, []);
        return b;
    }

    private static async Task<HttpResponse> ServeAsync(Snapshot snapshot, string scheme, string host, string path)
    {
        var middleware = new SnapshotReplayMiddleware(_ => Task.CompletedTask, new SnapshotReplayOptions { Snapshot = snapshot });
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Method = "GET";
        context.Request.Host = new HostString(host);
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        await middleware.InvokeAsync(context);
        return context.Response;
    }

    [Test]
    public async Task Invoke_HtmlOverTls_CarriesUpgradeInsecureRequests_BodyAsRecorded()
    {
        var snapshot = PageWithRedirect().Build();
        var response = await ServeAsync(snapshot, "https", "www.example.com", "/");
        Assert.That(response.Headers[TlsReplay.PolicyHeader].ToString(), Is.EqualTo("upgrade-insecure-requests"));
        var body = ((MemoryStream)response.Body).ToArray();
        Assert.That(body, Is.EqualTo(snapshot.BodyOf(snapshot.PageExchange!).ToArray()));
        Assert.That(Encoding.UTF8.GetString(body), Does.Contain("http://img.example.net/x.png"), "body bytes are not rewritten");
    }

    [Test]
    public async Task Invoke_HtmlOverCleartext_HasNoPolicy()
    {
        var response = await ServeAsync(PageWithRedirect().Build(), "http", "www.example.com", "/");
        Assert.That(response.Headers.ContainsKey(TlsReplay.PolicyHeader), Is.False);
    }

    [Test]
    public async Task Invoke_NonHtmlOverTls_HasNoPolicy()
    {
        var response = await ServeAsync(PageWithRedirect().Build(), "https", "www.example.com", "/s.css");
        Assert.That(response.StatusCode, Is.EqualTo(200));
        Assert.That(response.Headers.ContainsKey(TlsReplay.PolicyHeader), Is.False);
    }

    [Test]
    public async Task Invoke_RedirectToSnapshotHostOverTls_PointsAtHttps()
    {
        var response = await ServeAsync(PageWithRedirect().Build(), "https", "www.example.com", "/old");
        Assert.That(response.StatusCode, Is.EqualTo(302));
        Assert.That(response.Headers.Location.ToString(), Is.EqualTo("https://img.example.net/x.png"));
    }

    [Test]
    public async Task Invoke_RedirectOverCleartext_KeptAsRecorded()
    {
        var response = await ServeAsync(PageWithRedirect().Build(), "http", "www.example.com", "/old");
        Assert.That(response.Headers.Location.ToString(), Is.EqualTo("http://img.example.net/x.png"));
    }

    [Test]
    public async Task Invoke_RedirectToHostOutsideSnapshot_KeptAsRecorded()
    {
        var response = await ServeAsync(PageWithRedirect().Build(), "https", "www.example.com", "/away");
        Assert.That(response.Headers.Location.ToString(), Is.EqualTo("http://elsewhere.example.org/"));
    }
}
