using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SpdyLab.Protocol;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Server.Tests.Hosting;

/// <summary>Requests over real SPDY sessions (engine client role) against the Kestrel-hosted server.</summary>
public class SpdyServingTests
{
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await TestServer.StartAsync(app =>
        {
            app.MapGet("/hello", (HttpContext context) => Results.Text($"hello over {context.Request.Protocol}"));
            app.MapGet("/bytes/{size:int}", (int size) => Results.Bytes(Pattern(size), "application/octet-stream"));
            app.MapPost("/echo", async (HttpContext context) =>
            {
                var output = new MemoryStream();
                await context.Request.Body.CopyToAsync(output);
                context.Response.Headers["X-Sha256"] = Convert.ToHexString(SHA256.HashData(output.ToArray()));
                await context.Response.Body.WriteAsync(output.ToArray());
            });
            app.MapGet("/page", (HttpContext context) =>
            {
                context.Response.Headers["X-Associated-Content"] = "\"/style.css\":2";
                return Results.Text("<link href=/style.css>", "text/html");
            });
            app.MapGet("/style.css", () => Results.Text("body{}", "text/css"));
            app.MapGet("/abort-after-body", async (HttpContext context) =>
            {
                context.Response.ContentLength = 5;
                await context.Response.Body.WriteAsync("done."u8.ToArray());
                context.Abort();
                AbortSeen.TrySetResult(context.RequestAborted.IsCancellationRequested);
            });
        });
    }

    private static readonly TaskCompletionSource<bool> AbortSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Test, CancelAfter(15000)]
    public async Task Get_AppAbortsAfterItsWholeBody_RequestAbortedFiresAtOnce(CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.PlainUri, SpdyVersion.Spdy31, false, cancellationToken);

        // The body may or may not be on the wire before the RST_STREAM CANCEL: either ending is right for the client.
        try
        {
            var response = await client.SendAsync("GET", "/abort-after-body", cancellationToken: cancellationToken);
            Assert.That(response.Text, Is.EqualTo("done."));
        }
        catch (SpdyStreamResetException e)
        {
            Assert.That(e.Status, Is.EqualTo(RstStatus.Cancel));
        }

        // What matters: the app's token had fired when Abort() returned (no linked source of the context's own now).
        Assert.That(await AbortSeen.Task.WaitAsync(cancellationToken), Is.True);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    internal static byte[] Pattern(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)(i % 251);
        }
        return bytes;
    }

    private static IEnumerable<TestCaseData> Variants()
    {
        foreach (var version in new[] { SpdyVersion.Spdy2, SpdyVersion.Spdy3, SpdyVersion.Spdy31 })
        {
            yield return new TestCaseData(version, true);
            if (version != SpdyVersion.Spdy3)
            {
                yield return new TestCaseData(version, false); // cleartext wire version 3 means SPDY/3.1
            }
        }
    }

    [TestCaseSource(nameof(Variants)), CancelAfter(15000)]
    public async Task Get_EachVersion_AppAnswers(SpdyVersion version, bool tls, CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(tls ? _server.TlsUri : _server.PlainUri, version, tls, cancellationToken);

        var response = await client.SendAsync("GET", "/hello", cancellationToken: cancellationToken);

        Assert.That(response.Status, Is.EqualTo(200));
        Assert.That(response.Text, Is.EqualTo($"hello over {SpdyProtocolProfile.For(version).AlpnId.ToUpperInvariant()}"));
    }

    [TestCase(SpdyVersion.Spdy2), TestCase(SpdyVersion.Spdy3), TestCase(SpdyVersion.Spdy31)]
    [CancelAfter(20000)]
    public async Task Get_LargeBody_ArrivesWholeThroughFlowControl(SpdyVersion version, CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.TlsUri, version, true, cancellationToken);

        var response = await client.SendAsync("GET", "/bytes/1000000", cancellationToken: cancellationToken);

        Assert.That(response.Body.AsSpan().SequenceEqual(Pattern(1000000)), Is.True);
    }

    [TestCase(SpdyVersion.Spdy2), TestCase(SpdyVersion.Spdy3), TestCase(SpdyVersion.Spdy31)]
    [CancelAfter(20000)]
    public async Task Post_LargeBody_AppReadsItAll(SpdyVersion version, CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.TlsUri, version, true, cancellationToken);
        var body = Pattern(300000);

        var response = await client.SendAsync("POST", "/echo", [new("content-type", "application/octet-stream")], body, cancellationToken: cancellationToken);

        Assert.That(response.Status, Is.EqualTo(200));
        Assert.That(response.Headers.Get("x-sha256"), Is.EqualTo(Convert.ToHexString(SHA256.HashData(body))));
        Assert.That(response.Body, Has.Length.EqualTo(300000));
    }

    [TestCase(SpdyVersion.Spdy2), TestCase(SpdyVersion.Spdy3), TestCase(SpdyVersion.Spdy31)]
    [CancelAfter(15000)]
    public async Task Get_XAssociatedContent_ResourcePushedAndHeaderNotForwarded(SpdyVersion version, CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.TlsUri, version, true, cancellationToken);

        var response = await client.SendAsync("GET", "/page", cancellationToken: cancellationToken);

        Assert.That(response.Headers.Contains("x-associated-content"), Is.False);
        // The push's SYN_STREAM came before the SYN_REPLY, but the client engine hands pushed streams to its handler on
        // the thread pool: the response can complete before the handler has recorded the push.
        while (client.Pushes.Count == 0)
        {
            await Task.Delay(5, cancellationToken);
        }
        Assert.That(client.Pushes, Has.Count.EqualTo(1));
        var (pushed, body) = client.Pushes[0];
        Assert.That(pushed.AssociatedStreamId, Is.EqualTo(response.Stream.Id));
        var url = client.Session.Profile.ReadRequest(pushed.Headers);
        Assert.That(url.Path, Is.EqualTo("/style.css"));
        Assert.That(client.Session.Profile.ReadResponse(pushed.Headers)?.Status, Is.EqualTo(200));
        Assert.That(System.Text.Encoding.UTF8.GetString(await body.WaitAsync(cancellationToken)), Is.EqualTo("body{}"));
        Assert.That(pushed.Priority, Is.EqualTo(client.Session.Profile.ScalePriority(2)));
    }

    [Test, CancelAfter(20000)]
    public async Task SessionEnds_CountersReported(CancellationToken cancellationToken)
    {
        var handler = _server.App.Services.GetRequiredService<SpdyConnectionHandler>();
        var ended = new TaskCompletionSource<SessionReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The server is shared by the fixture's tests: a session of an earlier test may end now, so take only
        // a session that started after this point.
        var testStart = DateTime.UtcNow;
        handler.SessionEnded += report =>
        {
            if (report.Started >= testStart) ended.TrySetResult(report);
        };
        var sessionsBefore = handler.Totals.Sessions;

        await using (var client = await SpdyTestClient.ConnectAsync(_server.TlsUri, SpdyVersion.Spdy31, true, cancellationToken))
        {
            await client.SendAsync("GET", "/page", cancellationToken: cancellationToken);
            await client.SendAsync("GET", "/bytes/5000", cancellationToken: cancellationToken);
        }
        var report = await ended.Task.WaitAsync(cancellationToken);

        Assert.That(report.Protocol, Is.EqualTo("spdy/3.1"));
        Assert.That(report.Counters.StreamsOpenedByPeer, Is.EqualTo(2));
        Assert.That(report.Counters.PushesSent, Is.EqualTo(1));
        Assert.That(report.Counters.DataBytesSent, Is.GreaterThanOrEqualTo(5000));
        Assert.That(report.Counters.HeaderBytesSentCompressed, Is.GreaterThan(0).And.LessThan(report.Counters.HeaderBytesSentRaw));
        Assert.That(report.Counters.HeaderBytesReceivedCompressed, Is.GreaterThan(0).And.LessThan(report.Counters.HeaderBytesReceivedRaw));
        Assert.That(handler.Totals.Sessions, Is.GreaterThan(sessionsBefore));
    }

    [Test, CancelAfter(30000)]
    public async Task Get_HundredConcurrentStreamsMixedSizes_BodiesIntact(CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.TlsUri, SpdyVersion.Spdy31, true, cancellationToken);
        var sizes = Enumerable.Range(0, 100).Select(i => (i * 7919) % 200000 + (i % 3 == 0 ? 0 : 1)).ToArray();

        var responses = await Task.WhenAll(sizes.Select((size, i) =>
            client.SendAsync("GET", $"/bytes/{size}", priority: i % 8, cancellationToken: cancellationToken)));

        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.That(responses[i].Status, Is.EqualTo(200), $"stream {i}");
            Assert.That(responses[i].Body.AsSpan().SequenceEqual(Pattern(sizes[i])), Is.True, $"stream {i} ({sizes[i]} bytes): got {responses[i].Body.Length} bytes");
        }
        Assert.That(responses.Select(r => r.Stream.Id).Distinct().Count(), Is.EqualTo(100));
    }
}
