using System.CommandLine;
using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Commands;
using SpdyLab.Lab.Recording;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.Recording;

/// <summary>
/// <c>sites record</c> against a local server: a small two-host page (stylesheet with a url() image, a
/// gzipped script that inserts an image after load, a PNG on another host) replayed by the lab's replay
/// middleware on loopback; Chromium records it; the recording must hold every resource with its status
/// and decoded body, and replay the same bodies.
/// </summary>
[NonParallelizable]
public class SiteRecorderTests
{
    string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("spdylab-record-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");

    static byte[] Gzip(string text)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        return output.ToArray();
    }

    static ExchangeRecord Exchange(string url, string contentType, string type, int? initiator, bool gzip = false)
    {
        var uri = new Uri(url);
        List<string[]> headers = [["Content-Type", contentType], ["Cache-Control", "max-age=60"]];
        if (gzip)
        {
            headers.Add(["Content-Encoding", "gzip"]);
        }
        return new ExchangeRecord
        {
            Method = "GET", Scheme = uri.Scheme, Host = uri.Host, Path = uri.PathAndQuery, Type = type,
            RequestHeaders = [["Host", uri.Host]], Status = 200, ResponseHeaders = headers, Initiator = initiator,
        };
    }

    static Snapshot SourceSite(string folder)
    {
        var b = new SnapshotBuilder("source");
        b.Manifest.Page = "http://www.record.test/";
        b.Add(Exchange("http://www.record.test/", "text/html; charset=utf-8", "document", null), Encoding.UTF8.GetBytes(
            "<!doctype html><html><head><link rel=stylesheet href=/style.css><script src=/app.js></script></head>" +
            "<body><p>recorded</p><img src=http://img.record.test/logo.png><div class=bg>x</div></body></html>"));
        b.Add(Exchange("http://www.record.test/style.css", "text/css", "stylesheet", 0), Encoding.UTF8.GetBytes(".bg{background:url(/bg.png)}"));
        b.Add(Exchange("http://www.record.test/app.js", "application/javascript", "script", 0, gzip: true), Gzip(
            "window.addEventListener('load',function(){setTimeout(function(){var i=new Image();i.src='http://img.record.test/late.png?x=1';document.body.appendChild(i);},100);});"));
        b.Add(Exchange("http://img.record.test/logo.png", "image/png", "image", 0), Png);
        b.Add(Exchange("http://www.record.test/bg.png", "image/png", "image", 1), Png);
        b.Add(Exchange("http://img.record.test/late.png?x=1", "image/png", "image", 2), Png);
        return b.WriteTo(Path.Combine(folder, "source"));
    }

    static async Task<(WebApplication App, int Port)> ServeAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseSnapshotReplay(new SnapshotReplayOptions { Snapshot = snapshot });
        await app.StartAsync(cancellationToken);
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return (app, port);
    }

    static byte[] Decoded(Snapshot snapshot, ExchangeRecord exchange)
    {
        var body = snapshot.BodyOf(exchange).ToArray();
        if (exchange.ResponseHeader("Content-Encoding") is not "gzip")
        {
            return body;
        }
        using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    [Test, CancelAfter(180_000)]
    public async Task RecordAsync_LocalTwoHostPage_EveryResourceRecordedAndReplayedIdentically(CancellationToken cancellationToken)
    {
        if (ChromiumLauncher.WhyUnavailable() is { } problem) Assert.Ignore(problem);
        var source = SourceSite(_folder);
        var (app, port) = await ServeAsync(source, cancellationToken);
        RecordResult result;
        await using (app)
        {
            var options = new RecordOptions
            {
                Hosts = new Dictionary<string, IPEndPoint> { ["*"] = new(IPAddress.Loopback, port) },
                Timeout = TimeSpan.FromSeconds(60),
            };
            result = await SiteRecorder.RecordAsync(new Uri("http://www.record.test/"), "recorded", Path.Combine(_folder, "recorded.har"), options, cancellationToken);
        }
        var recorded = result.Snapshot.WriteTo(Path.Combine(_folder, "recorded"));

        Assert.That(result.DocumentStatus, Is.EqualTo(200));
        Assert.That(recorded.Manifest.Page, Is.EqualTo("http://www.record.test/"));
        Assert.That(recorded.Manifest.Source, Does.StartWith("recorded with Chromium"));
        // Chromium's own /favicon.ico, should a Chromium version put it in the HAR, is not the page's.
        var urls = recorded.Exchanges.Select(e => e.Url).Where(u => !u.EndsWith("/favicon.ico", StringComparison.Ordinal)).Order().ToList();
        Assert.That(urls, Is.EqualTo(source.Exchanges.Select(e => e.Url).Order().ToList()), "every resource, including the one a script inserted after load");
        foreach (var original in source.Exchanges)
        {
            var copy = recorded.Exchanges.First(e => e.Url == original.Url);
            Assert.That(copy.Status, Is.EqualTo(200), copy.Url);
            Assert.That(copy.ResponseHeader("Content-Type"), Is.EqualTo(original.ResponseHeader("Content-Type")), copy.Url);
            Assert.That(copy.ResponseHeader("Content-Encoding"), Is.EqualTo(original.ResponseHeader("Content-Encoding")), copy.Url);
            Assert.That(Decoded(recorded, copy), Is.EqualTo(Decoded(source, original)), copy.Url);
            Assert.That(copy.HasFlag(ExchangeFlags.BodySynthesized), Is.False, copy.Url);
        }

        // The recording replays the same bodies, headers as recorded.
        var (replay, replayPort) = await ServeAsync(recorded, cancellationToken);
        await using (replay)
        {
            using var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.GZip, UseCookies = false });
            foreach (var original in source.Exchanges)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{replayPort}{original.Path}");
                request.Headers.Host = original.Host;
                using var response = await client.SendAsync(request, cancellationToken);
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), original.Url);
                Assert.That(await response.Content.ReadAsByteArrayAsync(cancellationToken), Is.EqualTo(Decoded(source, original)), original.Url);
            }
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task Record_ChromiumMissing_RuntimeErrorSayingHowToInstall(CancellationToken cancellationToken)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int exitCode;
        try
        {
            var root = new RootCommand { SitesCommand.Create() };
            exitCode = await root.Parse(["sites", "record", "http://www.record.test/", "--name", "spdylab-test-missing-chromium", "--chromium", "/nonexistent/chromium"])
                .InvokeAsync(cancellationToken: cancellationToken);
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.That(exitCode, Is.EqualTo(CommandActions.RuntimeError));
        Assert.That(error.ToString(), Does.StartWith("spdylab sites record: Chromium not found at /nonexistent/chromium").And.Contain("install"));
    }

    [TestCase("www.example.com", "is not HOST=ADDR")]
    [TestCase("www.example.com=nowhere", "is not HOST=ADDR")]
    [TestCase("a=127.0.0.1", null)]
    public void ParseResolve_Specs(string spec, string? error)
    {
        if (error is null)
        {
            Assert.That(SitesCommand.ParseResolve([spec])["a"], Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 0)));
            return;
        }
        Assert.That(() => SitesCommand.ParseResolve([spec]), Throws.TypeOf<UsageException>().With.Message.Contain(error));
    }

    [Test]
    public void ParseResolve_PortsInSomeMappingsOnly_UsageError() =>
        Assert.That(() => SitesCommand.ParseResolve(["a=127.0.0.1", "b=127.0.0.1:8080"]), Throws.TypeOf<UsageException>().With.Message.Contain("every mapping or in none"));
}
