using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SpdyLab.Client.Tests.Support;

/// <summary>
/// Kestrel's HTTP/2 server on 127.0.0.1 as an independent peer: a cleartext (prior knowledge) port and a TLS
/// port (ALPN h2, self-signed certificate). Routes: <c>/bytes/N</c> (N bytes, byte i = i mod 251),
/// <c>/reset</c> (RST_STREAM ENHANCE_YOUR_CALM), <c>/slow/MS</c> (a short body after MS ms), <c>/page/N</c>
/// (HTML naming N images <c>/img/I.png</c>). Every request is recorded.
/// </summary>
public sealed class KestrelH2Server : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelH2Server(WebApplication app) => _app = app;

    public IPEndPoint Cleartext { get; private set; } = null!;

    public IPEndPoint Tls { get; private set; } = null!;

    /// <summary>Headers are copied: Kestrel reuses its header collections once a request ends.</summary>
    public ConcurrentQueue<(string Path, string Protocol, string Connection, string Scheme, Dictionary<string, string> Headers)> Requests { get; } = new();

    public static byte[] Body(int size) => Enumerable.Range(0, size).Select(i => (byte)(i % 251)).ToArray();

    public static async Task<KestrelH2Server> StartAsync(int maxStreamsPerConnection = 100)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = CreateCertificate();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.Http2.MaxStreamsPerConnection = maxStreamsPerConnection;
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
            k.Listen(IPAddress.Loopback, 0, o =>
            {
                o.Protocols = HttpProtocols.Http2;
                o.UseHttps(certificate);
            });
        });
        var app = builder.Build();
        var server = new KestrelH2Server(app);
        app.Run(async context =>
        {
            var path = context.Request.Path.Value ?? "/";
            server.Requests.Enqueue((path, context.Request.Protocol, context.Connection.Id, context.Request.Scheme,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            switch (parts)
            {
                case ["bytes", var n]:
                    var body = Body(int.Parse(n, System.Globalization.CultureInfo.InvariantCulture));
                    context.Response.ContentLength = body.Length;
                    await context.Response.Body.WriteAsync(body);
                    break;
                case ["reset"]:
                    context.Features.Get<IHttpResetFeature>()!.Reset(0xb);
                    break;
                case ["slow", var ms]:
                    await Task.Delay(int.Parse(ms, System.Globalization.CultureInfo.InvariantCulture));
                    await context.Response.WriteAsync("slow");
                    break;
                case ["page", var n]:
                    context.Response.ContentType = "text/html";
                    var images = string.Concat(Enumerable.Range(0, int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)).Select(i => $"<img src=\"/img/{i}.png\">\n"));
                    await context.Response.WriteAsync($"<!DOCTYPE html><html><head><link rel=stylesheet href=\"/style.css\"><script src=\"/app.js\"></script></head><body>\n{images}<img src=\"/reset\"></body></html>");
                    break;
                case ["img", var file]:
                    var image = Body(1000 + (file.Length * 37));
                    context.Response.ContentType = "image/png";
                    await context.Response.Body.WriteAsync(image);
                    break;
                default:
                    context.Response.ContentType = path.EndsWith(".css", StringComparison.Ordinal) ? "text/css" : "application/javascript";
                    await context.Response.WriteAsync("/* " + new string('x', 500) + " */");
                    break;
            }
        });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        server.Cleartext = new IPEndPoint(IPAddress.Loopback, addresses.First(a => a.Scheme == "http").Port);
        server.Tls = new IPEndPoint(IPAddress.Loopback, addresses.First(a => a.Scheme == "https").Port);
        return server;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
