using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Lab.Bench;

/// <summary>
/// The benchmark's one ASP.NET Core app: in-memory resources on three cleartext loopback listeners of the same
/// Kestrel host: SPDY/3.1 (ours, ListenSpdy), HTTP/2 (Kestrel, h2c prior knowledge) and HTTP/1.1 (Kestrel).
/// It counts what it serves, so a generator's counts can be checked against the server's.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _served;
    private long _servedBodyBytes;

    private BenchServer(WebApplication app, int spdyPort, int http2Port, int http1Port)
    {
        _app = app;
        SpdyPort = spdyPort;
        Http2Port = http2Port;
        Http1Port = http1Port;
    }

    public int SpdyPort { get; }

    public int Http2Port { get; }

    public int Http1Port { get; }

    /// <summary>Requests answered with a resource (counted before its body is written, so a client that saw the end of the response sees it counted).</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Body bytes of those responses.</summary>
    public long ServedBodyBytes => Interlocked.Read(ref _servedBodyBytes);

    public static async Task<BenchServer> StartAsync(IReadOnlyDictionary<string, byte[]> bodies, CancellationToken cancellationToken,
        Action<SpdyServerOptions>? configureSpdy = null)
    {
        var spdyPort = FreePort();
        var h2Port = FreePort();
        var h1Port = FreePort();

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ListenSpdy([], [new IPEndPoint(IPAddress.Loopback, spdyPort)], null, configure: configureSpdy);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Cleartext HTTP/2 with prior knowledge (h2c), as h2load and HttpClient speak it on http:// URLs.
            kestrel.Listen(IPAddress.Loopback, h2Port, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, h1Port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        var server = new BenchServer(app, spdyPort, h2Port, h1Port);
        app.Run(async context =>
        {
            if (!bodies.TryGetValue(context.Request.Path.Value ?? "", out var body))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            Interlocked.Increment(ref server._served);
            Interlocked.Add(ref server._servedBodyBytes, body.Length);
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        });
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return server;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }
        await _app.DisposeAsync();
    }
}
