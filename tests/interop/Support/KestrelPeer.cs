using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SpdyLab.Interop.Tests.Support;

/// <summary>
/// A small Kestrel app for the h2 and HTTP/1.1 paths of `spdylab get`: one TLS endpoint (ALPN h2, http/1.1),
/// one cleartext HTTP/1.1 endpoint and one cleartext HTTP/2 (prior knowledge) endpoint.
/// Routes: /bytes/N (the peers' deterministic bytes), /proto (the request's protocol), /status/CODE.
/// </summary>
public sealed class KestrelPeer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelPeer(WebApplication app, int tlsPort, int http1Port, int http2Port)
    {
        _app = app;
        TlsPort = tlsPort;
        Http1Port = http1Port;
        Http2Port = http2Port;
    }

    public int TlsPort { get; }

    public int Http1Port { get; }

    public int Http2Port { get; }

    public static async Task<KestrelPeer> StartAsync(TestCertificate certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, o =>
            {
                o.Protocols = HttpProtocols.Http1AndHttp2;
                o.UseHttps(certificate.Certificate);
            });
            kestrel.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
            kestrel.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.MapGet("/bytes/{n:int}", (int n) => Microsoft.AspNetCore.Http.Results.Bytes(PeerBodies.Bytes(n), "application/octet-stream"));
        app.MapGet("/proto", (HttpContext context) => Microsoft.AspNetCore.Http.Results.Text(context.Request.Protocol));
        // Kestrel fills Request.Host from :authority on h2 and from Host on HTTP/1.1.
        app.MapGet("/host", (HttpContext context) => Microsoft.AspNetCore.Http.Results.Text(context.Request.Host.Value));
        app.MapGet("/status/{code:int}", (int code) => Microsoft.AspNetCore.Http.Results.Text($"status {code}\n", statusCode: code));
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).ToList();
        return new KestrelPeer(app, addresses[0].Port, addresses[1].Port, addresses[2].Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
