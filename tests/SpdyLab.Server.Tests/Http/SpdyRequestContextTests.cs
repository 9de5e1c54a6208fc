using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging.Abstractions;
using SpdyLab.Server.Hosting;
using SpdyLab.Server.Http;

namespace SpdyLab.Server.Tests.Http;

/// <summary>The HTTP features over a recorded stream, through a real ASP.NET Core pipeline (no sockets).</summary>
public class SpdyRequestContextTests
{
    private static readonly string SiteFolder = CreateSite();
    private TestServer _server = null!;
    private SpdyApplication _application = null!;

    private static string CreateSite()
    {
        var folder = Path.Combine(Path.GetTempPath(), "spdylab-ctx-site-" + Environment.ProcessId);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "index.html"), "<html><link rel=stylesheet href=/style.css></html>");
        File.WriteAllText(Path.Combine(folder, "style.css"), "body { color: red }");
        File.WriteAllText(Path.Combine(folder, "big.txt"), string.Concat(Enumerable.Repeat("0123456789abcdef", 20000)));
        return folder;
    }

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await TestServer.StartAsync(app =>
        {
            app.UseResponseCompression();
            app.Use((context, next) =>
            {
                if (context.Request.Path == "/index.html")
                {
                    context.Response.Headers["X-Associated-Content"] = "\"/style.css\":1, \"/missing.css\", \"https://other.example/x.js\"";
                }
                return next(context);
            });
            var files = new PhysicalFileProvider(SiteFolder);
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
            app.MapGet("/text", () => "plain text");
            app.MapGet("/throw", (HttpContext _) => { throw new InvalidOperationException("boom"); });
            app.MapGet("/throw-late", async (HttpContext context) =>
            {
                await context.Response.WriteAsync("partial");
                throw new InvalidOperationException("late boom");
            });
            app.MapPost("/echo", async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body);
                var text = await reader.ReadToEndAsync();
                context.Response.Headers["X-Length"] = text.Length.ToString();
                await context.Response.WriteAsync(text.ToUpperInvariant());
            });
            app.MapGet("/headers", (HttpContext context) =>
            {
                context.Response.Headers["Set-Cookie"] = new[] { "a=1", "b=2" };
                context.Response.Headers["Connection"] = "close";
                return $"{context.Request.Method} {context.Request.Scheme}://{context.Request.Host}{context.Request.Path}{context.Request.QueryString} " +
                    $"{context.Request.Protocol} ua={context.Request.Headers.UserAgent} remote={context.Connection.RemoteIpAddress}";
            });
            app.MapGet("/wait", async (HttpContext context) =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    context.Items["aborted"] = true;
                    WaitAborted.TrySetResult(true);
                }
            });
            app.MapGet("/dirty", (HttpContext context) =>
            {
                // What this request finds of an earlier one, then leaves behind for the next (pooled host contexts).
                var found = $"items={context.Items.Count} feature={context.Features.Get<DirtyFeature>() is not null} " +
                    $"header={context.Response.Headers.ContainsKey("X-Dirty")} request-header={context.Request.Headers.ContainsKey("x-first")} " +
                    $"status={context.Response.StatusCode} aborted={context.RequestAborted.IsCancellationRequested}";
                SeenContexts.Add(context);
                context.Items["dirty"] = true;
                context.Features.Set(new DirtyFeature());
                context.Response.Headers["X-Dirty"] = "1";
                context.Response.StatusCode = 201;
                return Results.Text(found, statusCode: 201);
            });
            app.MapGet("/push-api", async (HttpContext context) =>
            {
                var push = context.Features.Get<ISpdyPushFeature>();
                var pushed = push is not null && await push.PushAsync("/style.css");
                return $"pushed={pushed}";
            });
        }, configureServices: services => services.AddResponseCompression(o => o.EnableForHttps = true));
        _application = _server.App.Services.GetRequiredService<SpdyApplication>();
    }

    private sealed class DirtyFeature;

    private static readonly System.Collections.Concurrent.ConcurrentBag<HttpContext> SeenContexts = [];

    private static readonly TaskCompletionSource<bool> WaitAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private async Task<RecordingTransport> RunAsync(string method, string path, IEnumerable<KeyValuePair<string, string>>? headers = null,
        byte[]? body = null, bool canPush = false, RecordingTransport? transport = null, CancellationToken cancellationToken = default)
    {
        transport ??= new RecordingTransport(canPush);
        System.IO.Pipelines.Pipe? pipe = null;
        if (body is not null)
        {
            pipe = new System.IO.Pipelines.Pipe();
            await pipe.Writer.WriteAsync(body, cancellationToken);
            await pipe.Writer.CompleteAsync();
        }
        var head = new SpdyRequestHead(method, "https", "localhost", path, "HTTP/1.1", [.. headers ?? []]);
        var connection = new SpdyConnectionInfo("conn1", new IPEndPoint(IPAddress.Loopback, 443), new IPEndPoint(IPAddress.Loopback, 50000), null, "spdy/3.1");
        var context = new SpdyRequestContext(head, pipe?.Reader, transport, connection, 1, 0, false, transport.Aborted);
        var runner = new SpdyRequestRunner(_application, new SpdyServerOptions(), NullLogger.Instance);
        await runner.RunAsync(context).WaitAsync(cancellationToken);
        return transport;
    }

    [Test, CancelAfter(10000)]
    public async Task Run_MinimalApiText_SendsStatusHeadersBodyAndFin(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/text", cancellationToken: cancellationToken);

        Assert.That(stream.Status, Is.EqualTo(200));
        Assert.That(stream.Header("content-type"), Does.StartWith("text/plain"));
        Assert.That(stream.BodyText, Is.EqualTo("plain text"));
        Assert.That(stream.Finished, Is.True);
        Assert.That(stream.Events[0], Is.EqualTo("headers"));
    }

    [Test, CancelAfter(10000)]
    public async Task Run_StaticFile_ServesFileWithLength(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/big.txt", cancellationToken: cancellationToken);

        Assert.That(stream.Status, Is.EqualTo(200));
        Assert.That(stream.Body, Has.Length.EqualTo(320000));
        Assert.That(stream.Header("content-length"), Is.EqualTo("320000"));
        Assert.That(stream.Finished, Is.True);
    }

    [Test, CancelAfter(10000)]
    public async Task Run_HeadRequest_SendsHeadersWithFinAndNoBody(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("HEAD", "/style.css", cancellationToken: cancellationToken);

        Assert.That(stream.Status, Is.EqualTo(200));
        Assert.That(stream.Body, Is.Empty);
        Assert.That(stream.Finished, Is.True);
    }

    [Test, CancelAfter(10000)]
    public async Task Run_ResponseCompressionMiddleware_GzipsBody(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/big.txt", [new("accept-encoding", "gzip")], cancellationToken: cancellationToken);

        Assert.That(stream.Header("content-encoding"), Is.EqualTo("gzip"));
        using var gzip = new GZipStream(new MemoryStream(stream.Body), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        Assert.That((await reader.ReadToEndAsync(cancellationToken)).Length, Is.EqualTo(320000));
        Assert.That(stream.Body.Length, Is.LessThan(10000));
    }

    [Test, CancelAfter(10000)]
    public async Task Run_PostWithBody_AppReadsRequestBody(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("POST", "/echo", [new("content-length", "5")], Encoding.UTF8.GetBytes("hello"), cancellationToken: cancellationToken);

        Assert.That(stream.BodyText, Is.EqualTo("HELLO"));
        Assert.That(stream.Header("x-length"), Is.EqualTo("5"));
    }

    [Test, CancelAfter(10000)]
    public async Task Run_RequestHeaders_MapToHttpRequestAndConnectionSpecificHeadersDropped(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/headers?x=1", [new("user-agent", "tester")], cancellationToken: cancellationToken);

        Assert.That(stream.BodyText, Is.EqualTo("GET https://localhost/headers?x=1 SPDY/3.1 ua=tester remote=127.0.0.1"));
        Assert.That(stream.Headers.Where(h => h.Key == "set-cookie").Select(h => h.Value), Is.EqualTo(new[] { "a=1", "b=2" }));
        Assert.That(stream.Header("connection"), Is.Null);
        Assert.That(stream.Headers.Select(h => h.Key), Is.All.Matches<string>(k => k != null && k == k.ToLowerInvariant()));
    }

    [Test, CancelAfter(10000)]
    public async Task Run_AppThrowsBeforeResponse_Sends500(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/throw", cancellationToken: cancellationToken);

        Assert.That(stream.Status, Is.EqualTo(500));
        Assert.That(stream.Finished, Is.True);
    }

    [Test, CancelAfter(10000)]
    public async Task Run_AppThrowsMidResponse_ResetsStreamWithInternalError(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/throw-late", cancellationToken: cancellationToken);

        Assert.That(stream.ResetWithCancel, Is.False);
        Assert.That(stream.Finished, Is.False);
    }

    [Test, CancelAfter(10000)]
    public async Task Run_PeerResetsStream_RequestAbortedFires(CancellationToken cancellationToken)
    {
        var transport = new RecordingTransport();
        var run = RunAsync("GET", "/wait", transport: transport, cancellationToken: cancellationToken);
        await Task.Delay(100, cancellationToken);

        transport.AbortFromPeer();

        Assert.That(await WaitAborted.Task.WaitAsync(cancellationToken), Is.True);
        await run;
    }

    [Test, CancelAfter(10000)]
    public async Task Run_XAssociatedContent_PushesSameOriginOkResourcesBeforeHeadersAndDropsHeader(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/index.html", [new("user-agent", "tester"), new("cookie", "c=1")], canPush: true, cancellationToken: cancellationToken);

        Assert.That(stream.Header("x-associated-content"), Is.Null);
        Assert.That(stream.Pushes.Select(p => p.Target.PathAndQuery), Is.EqualTo(new[] { "/style.css" }));
        Assert.That(stream.Events.IndexOf("push /style.css"), Is.LessThan(stream.Events.IndexOf("headers")));
        var (target, pushed) = stream.Pushes[0];
        Assert.That(target.Priority, Is.EqualTo(1));
        Assert.That(pushed.Status, Is.EqualTo(200));
        Assert.That(pushed.Header("content-type"), Does.StartWith("text/css"));
        Assert.That(await WaitForAsync(() => pushed.Finished, cancellationToken), Is.True);
        Assert.That(pushed.BodyText, Is.EqualTo("body { color: red }"));
    }

    [Test, CancelAfter(10000)]
    public async Task Run_PushFeature_PushesFromApp(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/push-api", canPush: true, cancellationToken: cancellationToken);

        Assert.That(stream.BodyText, Is.EqualTo("pushed=True"));
        Assert.That(stream.Pushes.Select(p => p.Target.PathAndQuery), Is.EqualTo(new[] { "/style.css" }));
    }

    [Test, CancelAfter(10000)]
    public async Task Run_StreamCannotPush_HeaderDroppedAndNothingPushed(CancellationToken cancellationToken)
    {
        var stream = await RunAsync("GET", "/index.html", canPush: false, cancellationToken: cancellationToken);

        Assert.That(stream.Header("x-associated-content"), Is.Null);
        Assert.That(stream.Pushes, Is.Empty);
        Assert.That(stream.Status, Is.EqualTo(200));
    }

    [Test, CancelAfter(10000)]
    public async Task Run_RequestAfterOneThatLeftItemsFeaturesHeaders_ReusesHostContextButStartsClean(CancellationToken cancellationToken)
    {
        SeenContexts.Clear();
        var first = await RunAsync("GET", "/dirty", [new("x-first", "1")], cancellationToken: cancellationToken);
        Assert.That(first.Status, Is.EqualTo(201));
        Assert.That(first.Header("x-dirty"), Is.EqualTo("1"));

        for (var i = 0; i < 20; i++)
        {
            var next = await RunAsync("GET", "/dirty", cancellationToken: cancellationToken);
            Assert.That(next.BodyText, Is.EqualTo("items=0 feature=False header=False request-header=False status=200 aborted=False"));
            Assert.That(next.Status, Is.EqualTo(201));
        }

        // The pool works: this fixture's requests run a few at a time at most, so only a few host contexts were ever
        // made, and 21 sequential requests must have run in the same HttpContext object more than once.
        Assert.That(SeenContexts.Distinct().Count(), Is.LessThan(21));
    }

    [TestCase("/a%20b%2Fc?x=1", "/a b%2Fc", "?x=1")]
    [TestCase("/plain/path?q", "/plain/path", "?q")]
    [TestCase("/plain", "/plain", "")]
    public void Path_EscapedOrPlain_UnescapedLikeKestrelWithRawTargetKept(string target, string path, string query)
    {
        var transport = new RecordingTransport();
        var head = new SpdyRequestHead("GET", "https", "localhost", target, "HTTP/1.1", []);
        var connection = new SpdyConnectionInfo("conn1", null, null, null, "spdy/3.1");

        var context = new SpdyRequestContext(head, null, transport, connection, 1, 0, false, transport.Aborted);

        Assert.That(context.Path, Is.EqualTo(path));
        Assert.That(context.QueryString, Is.EqualTo(query));
        Assert.That(context.RawTarget, Is.EqualTo(target));
    }

    [Test]
    public void Features_SetGetReplaceRemove_BehaveAsAFeatureCollection()
    {
        var transport = new RecordingTransport();
        var head = new SpdyRequestHead("GET", "https", "localhost", "/", "HTTP/1.1", []);
        var connection = new SpdyConnectionInfo("conn1", null, null, null, "spdy/3.1");
        var context = new SpdyRequestContext(head, null, transport, connection, 1, 0, false, transport.Aborted);
        var features = context.Features;
        var revision = features.Revision;

        Assert.That(features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>(), Is.SameAs(context));
        Assert.That(features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>(), Is.Null);
        Assert.That(features.Get<ISpdyPushFeature>(), Is.Null);
        var extra = new DirtyFeature();
        features.Set(extra);
        Assert.That(features.Get<DirtyFeature>(), Is.SameAs(extra));
        Assert.That(features.Revision, Is.GreaterThan(revision));
        var body = new Microsoft.AspNetCore.Http.StreamResponseBodyFeature(Stream.Null);
        features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>(body);
        Assert.That(features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>(), Is.SameAs(body));
        Assert.That(features.Select(f => f.Key), Does.Contain(typeof(DirtyFeature)).And.Contain(typeof(ISpdyStreamFeature)));
        features.Set<DirtyFeature>(null);
        Assert.That(features.Get<DirtyFeature>(), Is.Null);
        Assert.That(features.Select(f => f.Key), Does.Not.Contain(typeof(DirtyFeature)));
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
        return true;
    }
}
