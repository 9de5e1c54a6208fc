using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SpdyLab.Server.Hosting;
using SpdyLab.Server.Http;

namespace SpdyLab.Server.Tests.Http;

/// <summary>
/// A request context run again for another request (the session's request pool does this): the next request starts as
/// clean as in a new context, and what may still reach the last one (pushes, writes in flight, features an app kept, a
/// late RST_STREAM) cannot touch the next.
/// </summary>
public class RequestContextReuseTests
{
    private static readonly SpdyConnectionInfo Connection =
        new("conn1", new IPEndPoint(IPAddress.Loopback, 443), new IPEndPoint(IPAddress.Loopback, 50000), null, "spdy/3.1");

    private TestServer _server = null!;
    private SpdyRequestRunner _runner = null!;
    private static readonly TaskCompletionSource<bool> WaitAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static IHttpResponseBodyFeature? _heldBody;
    private static IHttpResponseFeature? _heldResponse;
    private static IHttpRequestLifetimeFeature? _heldLifetime;
    private static int _completedCallbacks;

    private sealed class DirtyFeature;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await TestServer.StartAsync(app =>
        {
            app.MapGet("/dirty", (HttpContext context) =>
            {
                // What this request finds of an earlier one, then leaves behind for the next.
                var found = $"items={context.Items.Count} feature={context.Features.Get<DirtyFeature>() is not null} " +
                    $"trailers={context.Features.Get<IHttpResponseTrailersFeature>() is not null} " +
                    $"header={context.Response.Headers.ContainsKey("X-Dirty")} request-header={context.Request.Headers.ContainsKey("x-first")} " +
                    $"status={context.Response.StatusCode} aborted={context.RequestAborted.IsCancellationRequested} " +
                    $"remote={context.Connection.RemoteIpAddress} pathbase='{context.Request.PathBase}' host={context.Request.Host}";
                context.Items["dirty"] = true;
                context.Features.Set(new DirtyFeature());
                context.Features.Set<IHttpResponseTrailersFeature>(new ResponseTrailersFeature());
                context.Response.Headers["X-Dirty"] = "1";
                context.Connection.RemoteIpAddress = IPAddress.Parse("10.9.8.7");
                context.Request.PathBase = "/base";
                context.Response.OnCompleted(() =>
                {
                    Interlocked.Increment(ref _completedCallbacks);
                    return Task.CompletedTask;
                });
                // The app replaces the request's header dictionary (a middleware may): the next request gets ours back.
                context.Features.Get<IHttpRequestFeature>()!.Headers = new HeaderDictionary { ["x-first"] = "replaced" };
                return Results.Text(found, statusCode: 201);
            });
            app.MapGet("/wait", async (HttpContext context) =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    WaitAborted.TrySetResult(true);
                }
            });
            app.MapGet("/hold", (HttpContext context) =>
            {
                // An app that keeps feature references past its request (what Kestrel's reuse also exposes).
                _heldBody = context.Features.Get<IHttpResponseBodyFeature>();
                _heldResponse = context.Features.Get<IHttpResponseFeature>();
                _heldLifetime = context.Features.Get<IHttpRequestLifetimeFeature>();
                return "held";
            });
            app.MapGet("/push-api", async (HttpContext context) =>
            {
                var push = context.Features.Get<ISpdyPushFeature>();
                return $"pushed={push is not null && await push.PushAsync("/style.css")}";
            });
            app.MapGet("/style.css", () => Results.Text("body{}", "text/css"));
        });
        _runner = new SpdyRequestRunner(_server.App.Services.GetRequiredService<SpdyApplication>(), new SpdyServerOptions(), NullLogger.Instance);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private static SpdyRequestHead Head(string path, params KeyValuePair<string, string>[] headers) =>
        new("GET", "https", "localhost", path, "HTTP/1.1", headers);

    private async Task<RecordingTransport> RunInAsync(SpdyRequestContext context, string path, KeyValuePair<string, string>[]? headers = null,
        bool canPush = false, RecordingTransport? transport = null)
    {
        transport ??= new RecordingTransport(canPush);
        context.Start(Head(path, headers ?? []), null, transport, 1, 0, false, transport.Aborted);
        await _runner.RunAsync(context);
        return transport;
    }

    [Test, CancelAfter(10000)]
    public async Task Start_AfterARequestThatLeftStateBehind_NextRequestStartsClean(CancellationToken cancellationToken)
    {
        var context = new SpdyRequestContext(Connection);
        var first = await RunInAsync(context, "/dirty", [new("x-first", "1")]).WaitAsync(cancellationToken);
        Assert.That(first.Status, Is.EqualTo(201));
        Assert.That(context.TryEndForReuse(), Is.True);

        var second = await RunInAsync(context, "/dirty").WaitAsync(cancellationToken);

        Assert.That(second.BodyText, Is.EqualTo(
            "items=0 feature=False trailers=False header=False request-header=False status=200 aborted=False remote=127.0.0.1 pathbase='' host=localhost"));
        Assert.That(second.Headers.Select(h => h.Key), Is.Unique, "the response head list is refilled, not appended to");
        Assert.That(second.Header("x-dirty"), Is.EqualTo("1"));
        Assert.That(_completedCallbacks, Is.GreaterThanOrEqualTo(2), "each request's OnCompleted ran");
    }

    [Test, CancelAfter(10000)]
    public async Task Start_AfterTheLastRequestWasResetByThePeer_RequestAbortedNotCancelled(CancellationToken cancellationToken)
    {
        var context = new SpdyRequestContext(Connection);
        var firstTransport = new RecordingTransport();
        var first = RunInAsync(context, "/wait", transport: firstTransport);
        await Task.Delay(50, cancellationToken);
        firstTransport.AbortFromPeer();
        await WaitAborted.Task.WaitAsync(cancellationToken);
        await first.WaitAsync(cancellationToken);
        Assert.That(context.TryEndForReuse(), Is.True);

        var second = await RunInAsync(context, "/dirty").WaitAsync(cancellationToken);

        Assert.That(second.BodyText, Does.Contain("aborted=False"));
        Assert.That(second.Finished, Is.True);
    }

    [Test, CancelAfter(10000)]
    public async Task RstAfterCompletion_ContextRunningTheNextRequest_NextRequestNotAborted(CancellationToken cancellationToken)
    {
        var context = new SpdyRequestContext(Connection);
        var firstTransport = await RunInAsync(context, "/dirty").WaitAsync(cancellationToken);
        Assert.That(context.TryEndForReuse(), Is.True);
        var secondTransport = new RecordingTransport();
        context.Start(Head("/dirty"), null, secondTransport, 3, 0, false, secondTransport.Aborted);

        // The peer resets the finished stream late (an RST_STREAM can cross our FIN).
        firstTransport.AbortFromPeer();

        Assert.That(context.RequestAborted.IsCancellationRequested, Is.False);
        await _runner.RunAsync(context).WaitAsync(cancellationToken);
        Assert.That(secondTransport.Finished, Is.True);
        Assert.That(secondTransport.ResetWithCancel, Is.Null);
    }

    [Test, CancelAfter(10000)]
    public async Task HeldFeatures_UsedWhileTheContextIsIdle_WritesFailAndAbortResetsNothing(CancellationToken cancellationToken)
    {
        var context = new SpdyRequestContext(Connection);
        var transport = await RunInAsync(context, "/hold").WaitAsync(cancellationToken);
        Assert.That(context.TryEndForReuse(), Is.True);
        var eventsAfterRequest = transport.Events.Count;

        Assert.Throws<ObjectDisposedException>(() => _heldBody!.Writer.GetMemory(10));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await _heldBody!.Writer.WriteAsync(new byte[3], cancellationToken));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _heldBody!.StartAsync(cancellationToken));
        Assert.Throws<ObjectDisposedException>(() => _heldResponse!.OnCompleted(_ => Task.CompletedTask, this));
        _heldLifetime!.Abort();

        Assert.That(transport.Events, Has.Count.EqualTo(eventsAfterRequest), "nothing reached the old stream");
        Assert.That(transport.ResetWithCancel, Is.Null);
    }

    [Test, CancelAfter(10000)]
    public async Task TryEndForReuse_AfterAPlainRequest_True(CancellationToken cancellationToken)
    {
        var context = new SpdyRequestContext(Connection);
        await RunInAsync(context, "/hold", canPush: true).WaitAsync(cancellationToken);

        Assert.That(context.TryEndForReuse(), Is.True);
        Assert.That(context.TryEndForReuse(), Is.False, "a context is given back once");
    }

    [Test, CancelAfter(10000)]
    public async Task TryEndForReuse_RequestThatPushed_FalseBecausePushesKeepTheirAssociatedRequest(CancellationToken cancellationToken)
    {
        var context = new SpdyRequestContext(Connection);
        var transport = await RunInAsync(context, "/push-api", canPush: true).WaitAsync(cancellationToken);
        Assert.That(transport.BodyText, Is.EqualTo("pushed=True"));

        Assert.That(context.TryEndForReuse(), Is.False);
    }

    [Test, CancelAfter(10000)]
    public async Task TryEndForReuse_WriteStillHoldingTheResponseLock_False(CancellationToken cancellationToken)
    {
        var transport = new BlockingTransport();
        var context = new SpdyRequestContext(Head("/x"), null, transport, Connection, 1, 0, false, transport.Aborted);
        var write = context.Writer.WriteAsync(new byte[10], cancellationToken);
        await transport.DataStarted.Task.WaitAsync(cancellationToken);

        Assert.That(context.TryEndForReuse(), Is.False);

        transport.Release.TrySetResult();
        await write;
        Assert.That(context.TryEndForReuse(), Is.True, "once the write is done the lock is free");
    }

    /// <summary>A transport whose DATA send waits until released: an app write in flight, holding the response lock.</summary>
    private sealed class BlockingTransport : StreamTransport
    {
        public TaskCompletionSource DataStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ValueTask SendHeadersAsync(int status, IReadOnlyList<KeyValuePair<string, string>> headers, bool endStream, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;

        public override async ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
        {
            DataStarted.TrySetResult();
            await Release.Task;
        }

        public override void Reset(bool cancel)
        {
        }
    }

    private sealed class ResponseTrailersFeature : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
    }
}
