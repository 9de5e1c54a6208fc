using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Framing;
using SpdyLab.Testing;

namespace SpdyLab.Server.Tests.Hostile;

/// <summary>
/// Bad and hostile input over real sockets (the cleartext port, SPDY/3.1) from a scripted raw peer:
/// each gets the spec's answer, and the server keeps serving another client afterwards.
/// </summary>
public class HostileInputTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await TestServer.StartAsync(app =>
        {
            app.MapGet("/hello", () => "hello");
            app.MapGet("/slow", async (HttpContext context) =>
            {
                await Task.Delay(3000, context.RequestAborted).ContinueWith(_ => { });
                return "slow";
            });
            app.MapPost("/sink", async (HttpContext context) =>
            {
                // Never reads the body: the stream window cannot reopen.
                await Task.Delay(3000, context.RequestAborted).ContinueWith(_ => { });
                return "sink";
            });
            app.MapPost("/read", async (HttpContext context) =>
            {
                var output = new MemoryStream();
                await context.Request.Body.CopyToAsync(output);
                return $"read {output.Length}";
            });
        }, spdy =>
        {
            spdy.MaxConcurrentStreams = 4;
            spdy.IdleTimeout = TimeSpan.FromSeconds(1);
            spdy.RequestBodyTimeout = TimeSpan.FromSeconds(1);
            spdy.MaxPeerResets = 50;
        });
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private async Task AssertOthersServedAsync(CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.PlainUri, SpdyVersion.Spdy31, tls: false, cancellationToken);
        var response = await client.SendAsync("GET", "/hello", cancellationToken: cancellationToken);
        Assert.That(response.Text, Is.EqualTo("hello"), "another client is still served");
    }

    private async Task<RawSpdyPeer> ConnectAsync(CancellationToken cancellationToken) => await RawSpdyPeer.ConnectAsync(_server.PlainUri, cancellationToken);

    [Test, CancelAfter(20000)]
    public async Task PingWithWrongLength_GoAwayProtocolErrorAndClose(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(RawSpdyPeer.Control(6, 0, new byte[8]), cancellationToken);

        var goAway = await peer.ExpectAsync<GoAwayFrame>(_ => true, Wait, cancellationToken);

        Assert.That(goAway?.Status, Is.EqualTo(GoAwayStatus.ProtocolError));
        Assert.That(await peer.ClosedWithinAsync(Wait, cancellationToken), Is.True);
        await AssertOthersServedAsync(cancellationToken);
    }

    [Test, CancelAfter(20000)]
    public async Task SynStreamWithServerParityId_GoAwayProtocolError(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(peer.SynStream(2, "GET", "/hello", fin: true), cancellationToken);

        var goAway = await peer.ExpectAsync<GoAwayFrame>(_ => true, Wait, cancellationToken);

        Assert.That(goAway?.Status, Is.EqualTo(GoAwayStatus.ProtocolError));
        await AssertOthersServedAsync(cancellationToken);
    }

    [Test, CancelAfter(20000)]
    public async Task SynStreamIdGoingDown_GoAwayProtocolErrorNamingLastGoodStream(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(peer.SynStream(5, "GET", "/hello", fin: true), cancellationToken);
        var reply = await peer.ExpectAsync<SynReplyFrame>(f => f.StreamId == 5, Wait, cancellationToken);
        Assert.That(reply, Is.Not.Null);

        await peer.SendAsync(peer.SynStream(3, "GET", "/hello", fin: true), cancellationToken);
        var goAway = await peer.ExpectAsync<GoAwayFrame>(_ => true, Wait, cancellationToken);

        Assert.That(goAway?.Status, Is.EqualTo(GoAwayStatus.ProtocolError));
        Assert.That(goAway?.LastGoodStreamId, Is.EqualTo(5));
    }

    [Test, CancelAfter(20000)]
    public async Task DataAsTheFirstFrameForANeverOpenedStream_RstInvalidStreamAndTheSessionGoesOn(CancellationToken cancellationToken)
    {
        // spdy3 §2.2.2: DATA for a stream that is not open, no GOAWAY sent: a stream error (INVALID_STREAM), not
        // a closed connection, even when it is the connection's very first frame.
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(RawSpdyPeer.Data(1, new byte[100], fin: false), cancellationToken);

        var reset = await peer.ExpectAsync<RstStreamFrame>(_ => true, Wait, cancellationToken);
        Assert.That((reset?.Id, reset?.Status), Is.EqualTo(((int?)1, (RstStatus?)RstStatus.InvalidStream)));

        await peer.SendAsync([.. peer.SynStream(3, "GET", "/hello", fin: true), .. RawSpdyPeer.Ping(7)], cancellationToken);
        Assert.That(await peer.ExpectAsync<PingFrame>(p => p.Id == 7, Wait, cancellationToken), Is.Not.Null, "PING echoed on the same session");
        Assert.That(await peer.ExpectAsync<SynReplyFrame>(r => r.Id == 3, Wait, cancellationToken), Is.Not.Null, "a request on the same session is served");
    }

    [Test, CancelAfter(20000)]
    public async Task WindowUpdatePast2To31AfterTheReplyEnded_RstFlowControlError(CancellationToken cancellationToken)
    {
        // The request stays open (no FIN), the reply is complete: half-closed from the server's side, where
        // updates are ignored but a window past 2^31-1 "must" get RST_STREAM FLOW_CONTROL_ERROR (spdy3 §2.6.8).
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(peer.SynStream(1, "GET", "/hello", fin: false), cancellationToken);
        Assert.That(await peer.ExpectAsync<DataFrame>(d => d.Id == 1 && d.IsFin, Wait, cancellationToken), Is.Not.Null, "the reply ends");

        await peer.SendAsync(RawSpdyPeer.WindowUpdate(1, 0x7FFFFFFF), cancellationToken);

        var reset = await peer.ExpectAsync<RstStreamFrame>(_ => true, Wait, cancellationToken);
        Assert.That((reset?.Id, reset?.Status), Is.EqualTo(((int?)1, (RstStatus?)RstStatus.FlowControlError)));
    }

    [Test, CancelAfter(20000)]
    public async Task DataBeyondStreamWindow_RstFlowControlError(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(peer.SynStream(1, "POST", "/sink", fin: false), cancellationToken);
        // The server's initial stream window is 64 KiB (its session window is 1 MiB): 80 KiB without any
        // WINDOW_UPDATE overruns the stream's only.
        var chunk = new byte[16 * 1024];
        for (var i = 0; i < 5; i++)
        {
            await peer.SendAsync(RawSpdyPeer.Data(1, chunk, fin: false), cancellationToken);
        }

        var frames = new List<string>();
        RstStreamFrame? reset = null;
        while (reset is null && await peer.ReadFrameAsync(Wait, cancellationToken) is { } frame)
        {
            frames.Add(frame.ToString()!);
            reset = frame as RstStreamFrame;
        }

        Assert.That(reset?.Status, Is.EqualTo(RstStatus.FlowControlError), string.Join("\n", frames));
        await AssertOthersServedAsync(cancellationToken);
    }

    [Test, CancelAfter(20000)]
    public async Task HeaderBlockBomb_GoAwayProtocolError(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        // 2 MB of one repeated byte deflates to a few KB but inflates past the 256 KiB header limit.
        var bomb = peer.SynStream(1, "GET", "/hello", fin: true, [new("x-bomb", new string('a', 2_000_000))]);
        Assert.That(bomb.Length, Is.LessThan(64 * 1024));
        await peer.SendAsync(bomb, cancellationToken);

        var goAway = await peer.ExpectAsync<GoAwayFrame>(_ => true, Wait, cancellationToken);

        Assert.That(goAway?.Status, Is.EqualTo(GoAwayStatus.ProtocolError));
        await AssertOthersServedAsync(cancellationToken);
    }

    [Test, CancelAfter(30000)]
    public async Task PingFloodWithoutReading_EchoedOrCutOffAndOthersServed(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        const int count = 20000;
        var flood = Enumerable.Range(0, count).SelectMany(i => RawSpdyPeer.Ping((uint)(2 * i + 1))).ToArray();
        // Send everything before reading anything: the echoes pile up on the server's side.
        await peer.SendAsync(flood, cancellationToken);
        await AssertOthersServedAsync(cancellationToken);

        var echoes = 0;
        GoAwayFrame? goAway = null;
        while (await peer.ReadFrameAsync(TimeSpan.FromSeconds(3), cancellationToken) is { } frame)
        {
            if (frame is PingFrame)
            {
                echoes++;
            }
            else if (frame is GoAwayFrame g)
            {
                goAway = g;
            }
        }

        Assert.That(echoes == count || goAway?.Status == GoAwayStatus.ProtocolError, Is.True, $"{echoes} echoes, GOAWAY {goAway}");
    }

    [Test, CancelAfter(20000)]
    public async Task SettingsFlood_SessionKeepsServing(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        var flood = Enumerable.Range(0, 5000).SelectMany(i => RawSpdyPeer.Settings(4 /* MAX_CONCURRENT_STREAMS */, (uint)(100 + i))).ToArray();
        await peer.SendAsync(flood, cancellationToken);
        await peer.SendAsync(peer.SynStream(1, "GET", "/hello", fin: true), cancellationToken);

        var reply = await peer.ExpectAsync<SynReplyFrame>(f => f.StreamId == 1, Wait, cancellationToken);

        Assert.That(reply?.Headers.Get(":status"), Does.StartWith("200"));
    }

    [Test, CancelAfter(30000)]
    public async Task RapidReset_GoAwayAfterTooManyResetRequests(CancellationToken cancellationToken)
    {
        // Its own server: with a 1 s idle timeout, the idle GOAWAY (OK) could come first.
        await using var server = await TestServer.StartAsync(app => app.MapGet("/slow", async (HttpContext context) =>
        {
            await Task.Delay(3000, context.RequestAborted).ContinueWith(_ => { });
            return "slow";
        }), spdy => spdy.MaxPeerResets = 50);
        using var peer = await RawSpdyPeer.ConnectAsync(server.PlainUri, cancellationToken);
        var goAwayTask = peer.ExpectAsync<GoAwayFrame>(_ => true, TimeSpan.FromSeconds(15), cancellationToken);
        for (var i = 0; i < 300 && !goAwayTask.IsCompleted; i++)
        {
            var id = 2 * i + 1;
            try
            {
                await peer.SendAsync([.. peer.SynStream(id, "GET", "/slow", fin: true), .. RawSpdyPeer.RstStream(id, 5 /* CANCEL */)], cancellationToken);
            }
            catch (System.Net.Sockets.SocketException)
            {
                break; // the server closed the connection
            }
        }

        var goAway = await goAwayTask;

        Assert.That(goAway?.Status, Is.EqualTo(GoAwayStatus.ProtocolError));
        await AssertOthersServedAsync(cancellationToken);
    }

    [Test, CancelAfter(20000)]
    public async Task MoreStreamsThanMaxConcurrent_ExtraRefused(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        // On a cleartext port the server speaks second: its SETTINGS follow our first frame.
        for (var i = 0; i < 6; i++)
        {
            await peer.SendAsync(peer.SynStream(2 * i + 1, "GET", "/slow", fin: true), cancellationToken);
        }
        var settings = await peer.ExpectAsync<SettingsFrame>(_ => true, Wait, cancellationToken);
        Assert.That(settings?.Entries.Single(e => e.Id == SettingsId.MaxConcurrentStreams).Value, Is.EqualTo(4u));

        var refused = new List<int>();
        while (refused.Count < 2 && await peer.ExpectAsync<RstStreamFrame>(_ => true, Wait, cancellationToken) is { } reset)
        {
            Assert.That(reset.Status, Is.EqualTo(RstStatus.RefusedStream));
            refused.Add(reset.StreamId);
        }
        Assert.That(refused, Is.EquivalentTo(new[] { 9, 11 }));
    }

    [Test, CancelAfter(20000)]
    public async Task IdleSession_GoAwayOkThenClose(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(RawSpdyPeer.Settings(7, 65536), cancellationToken);

        var goAway = await peer.ExpectAsync<GoAwayFrame>(_ => true, Wait, cancellationToken);

        Assert.That(goAway?.Status, Is.EqualTo(GoAwayStatus.Ok));
        Assert.That(await peer.ClosedWithinAsync(Wait, cancellationToken), Is.True);
    }

    [Test, CancelAfter(20000)]
    public async Task HalfSentFrame_SessionClosedAfterIdleTimeout(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        var ping = RawSpdyPeer.Ping(1);
        await peer.SendAsync(ping[..6], cancellationToken);

        Assert.That(await peer.ClosedWithinAsync(Wait, cancellationToken), Is.True);
    }

    [Test, CancelAfter(20000)]
    public async Task RequestBodyStalls_StreamResetWithCancel(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(peer.SynStream(1, "POST", "/read", fin: false), cancellationToken);
        var data = RawSpdyPeer.Data(1, new byte[1000], fin: true);
        await peer.SendAsync(data[..500], cancellationToken); // half a DATA frame, then nothing

        var reset = await peer.ExpectAsync<RstStreamFrame>(f => f.StreamId == 1, Wait, cancellationToken);

        Assert.That(reset?.Status, Is.EqualTo(RstStatus.Cancel));
    }

    [Test, CancelAfter(20000)]
    public async Task UnknownSpdyVersionOnCleartext_ConnectionClosed(CancellationToken cancellationToken)
    {
        using var peer = await ConnectAsync(cancellationToken);
        await peer.SendAsync(RawSpdyPeer.Control(4, 0, RawSpdyPeer.BigEndian(0), version: 4), cancellationToken);

        Assert.That(await peer.ClosedWithinAsync(Wait, cancellationToken), Is.True);
        await AssertOthersServedAsync(cancellationToken);
    }
}
