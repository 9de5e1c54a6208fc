using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SpdyLab.Server.Tests.Hosting;

public class KestrelWiringTests
{
    private static void HelloApp(WebApplication app) =>
        app.MapGet("/hello", (HttpContext context) => Results.Text($"hello over {context.Request.Protocol}"));

    [TestCase("2.0", "HTTP/2")]
    [TestCase("1.1", "HTTP/1.1")]
    [CancelAfter(20000)]
    public async Task TlsPort_HttpClientVersion_ServedByKestrel(string version, string protocol, CancellationToken cancellationToken)
    {
        await using var server = await TestServer.StartAsync(HelloApp);
        using var client = TestServer.CreateHttpClient(Version.Parse(version));

        using var response = await client.GetAsync(new Uri(server.TlsUri, "/hello"), cancellationToken);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Version, Is.EqualTo(Version.Parse(version)));
        Assert.That(await response.Content.ReadAsStringAsync(cancellationToken), Is.EqualTo($"hello over {protocol}"));
    }

    [TestCase("2.0")]
    [TestCase("1.1")]
    [CancelAfter(20000)]
    public async Task TlsPort_HttpResponseWithXAssociatedContent_HeaderDroppedAndHintKept(string version, CancellationToken cancellationToken)
    {
        await using var server = await TestServer.StartAsync(app => app.MapGet("/page", (HttpContext context) =>
        {
            context.Response.Headers["X-Associated-Content"] = "\"/a.css\"";
            context.Response.Headers["X-Subresources"] = "\"/b.js\"";
            return "page";
        }));
        using var client = TestServer.CreateHttpClient(Version.Parse(version));

        using var response = await client.GetAsync(new Uri(server.TlsUri, "/page"), cancellationToken);

        Assert.That(response.Headers.Contains("X-Associated-Content"), Is.False);
        Assert.That(response.Headers.GetValues("X-Subresources"), Is.EqualTo(new[] { "\"/b.js\"" }));
    }

    [Test, CancelAfter(20000)]
    public async Task CleartextPort_Http11_ServedByKestrel(CancellationToken cancellationToken)
    {
        await using var server = await TestServer.StartAsync(HelloApp);
        using var client = TestServer.CreateHttpClient(HttpVersion.Version11);

        var body = await client.GetStringAsync(new Uri(server.PlainUri, "/hello"), cancellationToken);

        Assert.That(body, Is.EqualTo("hello over HTTP/1.1"));
    }

    [TestCase("spdy/3.1")]
    [TestCase("spdy/3")]
    [TestCase("spdy/2")]
    [TestCase("h2")]
    [CancelAfter(20000)]
    public async Task TlsPort_ClientOffersProtocolFirst_AlpnPicksIt(string protocol, CancellationToken cancellationToken)
    {
        await using var server = await TestServer.StartAsync(HelloApp);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.TlsUri.Port, cancellationToken);
        await using var tls = new SslStream(tcp.GetStream());

        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ApplicationProtocols = [new SslApplicationProtocol(protocol), SslApplicationProtocol.Http11],
        }, cancellationToken);

        Assert.That(tls.NegotiatedApplicationProtocol.ToString(), Is.EqualTo(protocol));
    }

    [Test, CancelAfter(20000)]
    public async Task TlsPort_ClientOffersH2BeforeSpdy_ServerPrefersSpdy31(CancellationToken cancellationToken)
    {
        await using var server = await TestServer.StartAsync(HelloApp);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.TlsUri.Port, cancellationToken);
        await using var tls = new SslStream(tcp.GetStream());

        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ApplicationProtocols = [SslApplicationProtocol.Http2, new SslApplicationProtocol("spdy/2"), new SslApplicationProtocol("spdy/3.1")],
        }, cancellationToken);

        Assert.That(tls.NegotiatedApplicationProtocol.ToString(), Is.EqualTo("spdy/3.1"));
    }
}
