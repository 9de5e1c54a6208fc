using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Client.PageLoad;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.PageLoad;

/// <summary>Snapshots that exercise every discovery path of the page loader.</summary>
public static class TestPages
{
    private static ExchangeRecord Exchange(string url, string contentType, string type, int? initiator = null, string? initiatorType = null, int status = 200)
    {
        var uri = new Uri(url);
        return new ExchangeRecord
        {
            Method = "GET",
            Scheme = uri.Scheme,
            Host = uri.Host,
            Path = uri.PathAndQuery,
            Type = type,
            RequestHeaders =
            [
                ["Host", uri.Host], ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/532.0 (KHTML, like Gecko) Chrome/4.0.202.0 Safari/532.0"],
                ["Accept", "*/*"], ["Accept-Encoding", "gzip,deflate"], ["Accept-Language", "en-US,en;q=0.8"], ["Cookie", "id=" + new string('c', 40)],
            ],
            Status = status,
            ResponseHeaders = [["Content-Type", contentType], ["Cache-Control", "max-age=60"], ["Server", "Apache"]],
            Initiator = initiator,
            InitiatorType = initiatorType,
        };
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private static byte[] Bytes(int size, int seed) => Enumerable.Range(0, size).Select(i => (byte)((i * 7 + seed) % 251)).ToArray();

    /// <summary>
    /// www.test.example's page (gzipped HTML): a stylesheet with url() images and an @import, a script
    /// that inserts an ad script from ads.test.example, which inserts a click redirect to a creative; an
    /// iframe with its own image; an icon; and <paramref name="images"/> images on img.test.example.
    /// </summary>
    public static Snapshot Build(int images = 20, int imageSize = 3000)
    {
        var b = new SnapshotBuilder("testpage");
        b.Manifest.Page = "http://www.test.example/";
        var html = new StringBuilder("<!DOCTYPE html><html><head><title>t</title>\n<link rel=\"shortcut icon\" href=\"/favicon.ico\">\n");
        html.Append("<link rel=\"stylesheet\" type=\"text/css\" href=\"/css/main.css\" />\n<script type=\"text/javascript\" src=\"/js/app.js\"></script>\n</head><body>\n");
        for (var i = 0; i < images; i++)
        {
            html.Append(CultureInfo($"<img src=\"http://img.test.example/i/{i}.jpg\" width=\"10\" height=\"10\">\n"));
        }

        html.Append("<iframe src=\"/frame.html\"></iframe><a href=\"/not-fetched.html\">link</a><img src=\"/missing-from-recording.png\">\n</body></html>\n");
        var document = b.Add(Exchange("http://www.test.example/", "text/html; charset=utf-8", "document"), Gzip(html.ToString()));
        document.ResponseHeaders.Add(["Content-Encoding", "gzip"]);
        b.Add(Exchange("http://www.test.example/favicon.ico", "image/x-icon", "image", 0, "parser"), Bytes(300, 1));
        var css = b.Add(Exchange("http://www.test.example/css/main.css", "text/css", "stylesheet", 0, "parser"),
            Encoding.UTF8.GetBytes("@import url(\"print.css\");\n/* url(/commented.png) */\n#a{background:url(../img/bg.png) no-repeat}\n#b{background:url('http://img.test.example/sprite.png')}\n"));
        b.Add(Exchange("http://www.test.example/css/print.css", "text/css", "stylesheet", css.Id, "css"), Encoding.UTF8.GetBytes("#p{background:url(/img/print.gif)}"));
        var print = b.Manifest.Exchanges[^1];
        b.Add(Exchange("http://www.test.example/img/print.gif", "image/gif", "image", print.Id, "css"), Bytes(500, 2));
        b.Add(Exchange("http://www.test.example/img/bg.png", "image/png", "image", css.Id, "css"), Bytes(2000, 3));
        b.Add(Exchange("http://img.test.example/sprite.png", "image/png", "image", css.Id, "css"), Bytes(4000, 4));
        var app = b.Add(Exchange("http://www.test.example/js/app.js", "application/javascript", "script", 0, "parser"),
            Encoding.UTF8.GetBytes("document.write('<scr'+'ipt src=\"http://ads.test.example/ad.js\"></scr'+'ipt>');\n" + new string('/', 3000)));
        var ad = b.Add(Exchange("http://ads.test.example/ad.js", "application/javascript", "script", app.Id, "script"), Encoding.UTF8.GetBytes("var click='http://ads.test.example/click?c=1';"));
        var click = Exchange("http://ads.test.example/click?c=1", "text/html", "other", ad.Id, "script", 302);
        click.ResponseHeaders.Add(["Location", "http://ads.test.example/creative.gif"]);
        b.Add(click, []);
        b.Add(Exchange("http://ads.test.example/creative.gif", "image/gif", "image", click.Id, "redirect"), Bytes(1500, 5));
        for (var i = 0; i < images; i++)
        {
            b.Add(Exchange($"http://img.test.example/i/{i}.jpg", "image/jpeg", "image", 0, "parser"), Bytes(imageSize, 10 + i));
        }

        var frame = b.Add(Exchange("http://www.test.example/frame.html", "text/html", "document", 0, "parser"), Encoding.UTF8.GetBytes("<html><body><img src=\"img/in-frame.png\"></body></html>"));
        b.Add(Exchange("http://www.test.example/img/in-frame.png", "image/png", "image", frame.Id, "parser"), Bytes(800, 6));
        return b.Build();
    }

    /// <summary>
    /// A page whose document names a large image first and then a stylesheet and a script, each larger than the
    /// image: over a scarce link, SPDY priorities (CSS/JS above images) are the only reason the stylesheet and the
    /// script can finish before the image (first-come-first-served or round-robin would finish the image first).
    /// </summary>
    public static Snapshot PriorityPage(int imageBytes, int cssBytes, int jsBytes)
    {
        var b = new SnapshotBuilder("prioritypage");
        b.Manifest.Page = "http://www.test.example/";
        const string Html = "<!DOCTYPE html><html><head><title>p</title></head><body>\n<img src=\"/big.jpg\">\n"
            + "<link rel=\"stylesheet\" href=\"/late.css\">\n<script src=\"/late.js\"></script>\n</body></html>\n";
        b.Add(Exchange("http://www.test.example/", "text/html; charset=utf-8", "document"), Encoding.UTF8.GetBytes(Html));
        b.Add(Exchange("http://www.test.example/big.jpg", "image/jpeg", "image", 0, "parser"), Bytes(imageBytes, 1));
        b.Add(Exchange("http://www.test.example/late.css", "text/css", "stylesheet", 0, "parser"), Encoding.UTF8.GetBytes("/*" + new string('c', cssBytes - 4) + "*/"));
        b.Add(Exchange("http://www.test.example/late.js", "application/javascript", "script", 0, "parser"), Encoding.UTF8.GetBytes("//" + new string('j', jsBytes - 2)));
        return b.Build();
    }

    /// <summary>A document with a large stylesheet and then a small script that inserts another script (known
    /// only from the recording's initiator).</summary>
    public static Snapshot ScriptAfterStylesheetPage(int cssBytes)
    {
        var b = new SnapshotBuilder("scriptafterstylesheet");
        b.Manifest.Page = "http://www.test.example/";
        const string Html = "<!DOCTYPE html><html><head><title>s</title>\n<link rel=\"stylesheet\" href=\"/big.css\">\n"
            + "<script src=\"/app.js\"></script>\n</head><body>text</body></html>\n";
        b.Add(Exchange("http://www.test.example/", "text/html; charset=utf-8", "document"), Encoding.UTF8.GetBytes(Html));
        b.Add(Exchange("http://www.test.example/big.css", "text/css", "stylesheet", 0, "parser"), Encoding.UTF8.GetBytes("/*" + new string('c', cssBytes - 4) + "*/"));
        var app = b.Add(Exchange("http://www.test.example/app.js", "application/javascript", "script", 0, "parser"), Encoding.UTF8.GetBytes("document.write('<scr'+'ipt src=\"/inserted.js\"></scr'+'ipt>');"));
        b.Add(Exchange("http://www.test.example/inserted.js", "application/javascript", "script", app.Id, "script"), Encoding.UTF8.GetBytes("var inserted = 1;"));
        return b.Build();
    }

    private static string CultureInfo(FormattableString text) => FormattableString.Invariant(text);
}

/// <summary>
/// Kestrel on 127.0.0.1 replaying a snapshot: an HTTP/1.1 port and a cleartext HTTP/2 (prior knowledge)
/// port. Records every request (host, path, connection) so tests can check what the loader did.
/// </summary>
public sealed class ReplayServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ReplayServer(WebApplication app, IPEndPoint http11, IPEndPoint h2)
    {
        _app = app;
        Http11 = http11;
        H2 = h2;
    }

    public IPEndPoint Http11 { get; }

    public IPEndPoint H2 { get; }

    public ConcurrentQueue<(string Host, string Target, string Connection, string Protocol)> Requests { get; } = new();

    /// <param name="delay">Added before each response and at each new connection (a crude round trip, for the lower bound test).</param>
    public static async Task<ReplayServer> StartAsync(Snapshot snapshot, ReplayMode mode = ReplayMode.Plain, TimeSpan? delay = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0, o =>
            {
                o.Protocols = HttpProtocols.Http1;
                if (delay is { } d)
                {
                    o.Use(next => async context =>
                    {
                        await Task.Delay(d);
                        await next(context);
                    });
                }
            });
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        ReplayServer? server = null;
        app.Use(async (context, next) =>
        {
            server!.Requests.Enqueue((context.Request.Host.Host, context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? context.Request.Path + context.Request.QueryString, context.Connection.Id, context.Request.Protocol));
            if (delay is { } d)
            {
                await Task.Delay(d);
            }

            await next(context);
        });
        app.UseSnapshotReplay(new SnapshotReplayOptions { Snapshot = snapshot, Mode = mode });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).Select(u => new IPEndPoint(IPAddress.Loopback, u.Port)).ToList();
        server = new ReplayServer(app, addresses[0], addresses[1]);
        return server;
    }

    public static PageLoadOptions Options(IPEndPoint endpoint, string protocol = "http/1.1", bool prefetch = false) => new()
    {
        Protocol = protocol,
        Hosts = HostMap.All(endpoint),
        Prefetch = prefetch,
        Feature = prefetch ? "prefetch" : "plain",
        Timeout = TimeSpan.FromSeconds(20),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
