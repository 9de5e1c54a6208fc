using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;
using SpdyLab.Protocol;

namespace SpdyLab.Server.Tests.Hosting;

/// <summary>The same app answers identically (status, the headers it set, body) over SPDY/2, /3, /3.1, h2 and HTTP/1.1.</summary>
public class FiveProtocolsTests
{
    private static readonly string[] AppHeaders = ["content-type", "x-app", "cache-control", "content-encoding", "set-cookie"];
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await TestServer.StartAsync(app =>
        {
            app.UseResponseCompression();
            app.MapGet("/json/{id:int}", (int id, HttpContext context) =>
            {
                context.Response.Headers["X-App"] = "five";
                context.Response.Headers.CacheControl = "max-age=60";
                context.Response.Headers.Append("Set-Cookie", "a=1");
                context.Response.Headers.Append("Set-Cookie", "b=2");
                return Results.Json(new { id, text = new string('x', 5000), query = context.Request.Query["q"].ToString() });
            });
            app.MapGet("/missing", () => Results.NotFound("nope"));
            app.MapPost("/echo", async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body);
                context.Response.Headers["X-App"] = "echo";
                return Results.Text((await reader.ReadToEndAsync()).ToUpperInvariant(), "text/plain");
            });
        }, configureServices: services => services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.MimeTypes = ["application/json"];
        }));
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private sealed record Answer(int Status, string Headers, string Body);

    private async Task<Answer> AskSpdyAsync(SpdyVersion version, string method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.TlsUri, version, tls: true, cancellationToken);
        var response = await client.SendAsync(method, path, [new("accept-encoding", "gzip")], body, cancellationToken: cancellationToken);
        var headers = AppHeaders.Select(h => $"{h}={string.Join("|", response.Headers.GetValues(h).SelectMany(v => v.Split('\0')))}");
        var text = response.Headers.Get("content-encoding") == "gzip" ? Gunzip(response.Body) : response.Text;
        return new Answer(response.Status, string.Join("; ", headers), text);
    }

    private async Task<Answer> AskHttpAsync(Version version, string method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
        using var client = new HttpClient(handler) { DefaultRequestVersion = version, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(_server.TlsUri, path))
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("accept-encoding", "gzip");
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }
        using var response = await client.SendAsync(request, cancellationToken);
        Assert.That(response.Version, Is.EqualTo(version));
        var all = response.Headers.Concat(response.Content.Headers).ToList();
        var headers = AppHeaders.Select(h => $"{h}={string.Join("|", all.Where(p => p.Key.Equals(h, StringComparison.OrdinalIgnoreCase)).SelectMany(p => p.Value))}");
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var text = response.Content.Headers.ContentEncoding.Contains("gzip") ? Gunzip(bytes) : System.Text.Encoding.UTF8.GetString(bytes);
        return new Answer((int)response.StatusCode, string.Join("; ", headers), text);
    }

    private static string Gunzip(byte[] bytes)
    {
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd();
    }

    [TestCase("GET", "/json/7?q=a%20b", null)]
    [TestCase("GET", "/missing", null)]
    [TestCase("POST", "/echo", "some body")]
    [CancelAfter(30000)]
    public async Task Request_AllFiveProtocols_SameStatusHeadersAndBody(string method, string path, string? body, CancellationToken cancellationToken)
    {
        var bytes = body is null ? null : System.Text.Encoding.UTF8.GetBytes(body);
        var answers = new Dictionary<string, Answer>
        {
            ["http/1.1"] = await AskHttpAsync(HttpVersion.Version11, method, path, bytes, cancellationToken),
            ["h2"] = await AskHttpAsync(HttpVersion.Version20, method, path, bytes, cancellationToken),
            ["spdy/2"] = await AskSpdyAsync(SpdyVersion.Spdy2, method, path, bytes, cancellationToken),
            ["spdy/3"] = await AskSpdyAsync(SpdyVersion.Spdy3, method, path, bytes, cancellationToken),
            ["spdy/3.1"] = await AskSpdyAsync(SpdyVersion.Spdy31, method, path, bytes, cancellationToken),
        };

        var reference = answers["http/1.1"];
        Assert.That(reference.Body, Is.Not.Empty);
        foreach (var (protocol, answer) in answers)
        {
            Assert.That(answer, Is.EqualTo(reference), protocol);
        }
    }
}
