using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests;

/// <summary>A Kestrel server on 127.0.0.1 (ephemeral port) replaying a snapshot, and a client for it.</summary>
public sealed class ReplayHost : IAsyncDisposable
{
    readonly WebApplication _app;

    ReplayHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, AllowAutoRedirect = false, UseCookies = false })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public Uri Address { get; }
    public HttpClient Client { get; }

    public static async Task<ReplayHost> StartAsync(SnapshotReplayOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        app.UseSnapshotReplay(options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ReplayHost(app, new Uri(address));
    }

    /// <summary>GET (or another method) with the given Host header, sent to this server's address.</summary>
    public Task<HttpResponseMessage> SendAsync(string host, string pathAndQuery, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, new Uri(Address, pathAndQuery));
        request.Headers.Host = host;
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class TestSnapshots
{
    public static ExchangeRecord Exchange(string url, string contentType, string? type = null, int? initiator = null, int status = 200) 
    {
        var uri = new Uri(url);
        return new ExchangeRecord
        {
            Method = "GET",
            Scheme = uri.Scheme,
            Host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}",
            Path = uri.PathAndQuery,
            Type = type,
            RequestHeaders = [["Host", uri.Host], ["User-Agent", "test"]],
            Status = status,
            ResponseHeaders = [["Content-Type", contentType], ["Cache-Control", "max-age=60"], ["X-Recorded", url]],
            Initiator = initiator,
        };
    }

    /// <summary>A page on www.example.com with a stylesheet, a script, an image on a CDN host, and an
    /// image the stylesheet references.</summary>
    public static SnapshotBuilder SmallPage()
    {
        var b = new SnapshotBuilder("small");
        b.Manifest.Page = "http://www.example.com/";
        b.Add(Exchange("http://www.example.com/", "text/html", "document"), Encoding.UTF8.GetBytes("<html><link rel=stylesheet href=/s.css><script src=/a.js></script><img src=http://img.example.net/x.png></html>"));
        b.Add(Exchange("http://www.example.com/s.css", "text/css", "stylesheet", 0), Encoding.UTF8.GetBytes("body{background:url(/bg.gif)}"));
        b.Add(Exchange("http://www.example.com/a.js", "application/javascript", "script", 0), Encoding.UTF8.GetBytes("var a=1;"));
        b.Add(Exchange("http://img.example.net/x.png", "image/png", "image", 0), [1, 2, 3, 4]);
        b.Add(Exchange("http://www.example.com/bg.gif", "image/gif", "image", 1), [5, 6, 7]);
        return b;
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "spdylab-sites-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
