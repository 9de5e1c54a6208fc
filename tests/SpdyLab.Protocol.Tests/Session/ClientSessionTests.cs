using System.IO.Pipelines;
using System.Text;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Session;

/// <summary>The engine in the client role against a test server built from the spec.</summary>
[CancelAfter(20000)]
public class ClientSessionTests
{
    public static readonly SpdyVersion[] AllVersions = ServerSessionTests.AllVersions;

    internal static async Task<byte[]> ReadToEndAsync(PipeReader reader)
    {
        var body = new MemoryStream();
        await reader.CopyToAsync(body);
        return body.ToArray();
    }

    /// <summary>A PING from the peer (server parity) and its echo: the session handles frames in order, so every
    /// frame sent before it has been handled when the echo comes back.</summary>
    private static async Task PingRoundTripAsync(Harness h, SpdyVersion version, uint id = 1000)
    {
        await h.Peer.SendAsync(PeerFrames.Ping(version, id));
        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping && (uint)f.Int32At(0) == id, "PING echo");
    }

    private static HeaderList Request(SpdySession session, string path = "/") =>
        session.Profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", path), [new("user-agent", "spdylab-test")]);

    [TestCaseSource(nameof(AllVersions))]
    public async Task OpenStreamAsync_ServerReplies_GivesStatusAndBody(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);

        var stream = await h.Session.OpenStreamAsync(Request(h.Session, "/page"), priority: 1, endStream: true);
        var syn = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynStream, "SYN_STREAM");
        await h.Peer.SendAsync(
            PeerFrames.SynReply(version, 1, 0, h.Peer.Block(h.Peer.Response())),
            PeerFrames.Data(1, 0, "hel"u8.ToArray()),
            PeerFrames.Data(1, SpdyFlags.Fin, "lo"u8.ToArray()));

        var response = h.Session.Profile.ReadResponse(await stream.ResponseHeadersAsync);
        var body = await ReadToEndAsync(stream.Input);
        Assert.Multiple(() =>
        {
            Assert.That(syn.StreamId, Is.EqualTo(1));
            Assert.That(syn.Fin, Is.True);
            Assert.That(syn.Payload[8] >> (version == SpdyVersion.Spdy2 ? 6 : 5), Is.EqualTo(1), "priority bits");
            Assert.That(syn.Header(h.Peer.PathName), Is.EqualTo("/page"));
            Assert.That(syn.Header("user-agent"), Is.EqualTo("spdylab-test"));
            Assert.That(response!.Status, Is.EqualTo(200));
            Assert.That(Encoding.ASCII.GetString(body), Is.EqualTo("hello"));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task OpenStreamAsync_SeveralStreams_UseIncreasingOddIds(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);

        var streams = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => h.Session.OpenStreamAsync(Request(h.Session, $"/{i}"), i % 4, true).AsTask()));
        var ids = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add((await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynStream, "SYN_STREAM")).StreamId);
        }

        Assert.Multiple(() =>
        {
            Assert.That(ids, Is.EqualTo(Enumerable.Range(0, 20).Select(i => 2 * i + 1)), "ids on the wire increase");
            Assert.That(streams.Select(s => s.Id).Order(), Is.EqualTo(ids));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task OpenStreamAsync_AtPeerConcurrencyLimit_WaitsForAStreamToClose(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);
        await h.Peer.SendAsync(PeerFrames.Settings(version, 0, ((int)SettingsId.MaxConcurrentStreams, 0, 1)));
        await PingRoundTripAsync(h, version); // the SETTINGS is applied (frames are handled in order)

        var first = await h.Session.OpenStreamAsync(Request(h.Session), 0, true);
        var second = h.Session.OpenStreamAsync(Request(h.Session), 0, true).AsTask();
        await Task.Delay(100);
        Assert.That(second.IsCompleted, Is.False, "second stream waits for the first");

        await h.Peer.SendAsync(PeerFrames.SynReply(version, 1, SpdyFlags.Fin, h.Peer.Block(h.Peer.Response())));

        var opened = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(opened.Id, Is.EqualTo(3));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_SecondSynReply_IsStreamInUse(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);
        var stream = await h.Session.OpenStreamAsync(Request(h.Session), 0, true);

        await h.Peer.SendAsync(
            PeerFrames.SynReply(version, 1, 0, h.Peer.Block(h.Peer.Response())),
            PeerFrames.SynReply(version, 1, 0, h.Peer.Block(h.Peer.Response())));

        await h.Peer.ExpectRstAsync(1, SpdyProtocolProfile.For(version).ToWireStatus(RstStatus.StreamInUse));
        await Assert.ThrowsAsync<SpdyStreamResetException>(async () => await ReadToEndAsync(stream.Input));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_DataBeforeSynReply_IsStreamProtocolError(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);
        var stream = await h.Session.OpenStreamAsync(Request(h.Session), 0, true);

        await h.Peer.SendAsync(PeerFrames.Data(1, 0, "early"u8.ToArray()));

        await h.Peer.ExpectRstAsync(1, RstStatus.ProtocolError);
        var ex = await Assert.ThrowsAsync<SpdyStreamResetException>(async () => await stream.ResponseHeadersAsync);
        Assert.That((ex!.Status, ex.ByPeer), Is.EqualTo((RstStatus.ProtocolError, false)));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_SynReplyForUnknownStream_IsInvalidStream(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);

        await h.Peer.SendAsync(PeerFrames.SynReply(version, 9, 0, h.Peer.Block(h.Peer.Response())));

        await h.Peer.ExpectRstAsync(9, RstStatus.InvalidStream);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_RstStreamFromServer_FaultsTheStream(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);
        var stream = await h.Session.OpenStreamAsync(Request(h.Session), 0, true);

        await h.Peer.SendAsync(PeerFrames.RstStream(version, 1, (int)RstStatus.RefusedStream));

        var ex = await Assert.ThrowsAsync<SpdyStreamResetException>(async () => await stream.ResponseHeadersAsync);
        Assert.That((ex!.Status, ex.ByPeer, stream.Aborted.IsCancellationRequested), Is.EqualTo((RstStatus.RefusedStream, true, true)));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_HeadersAfterReply_AreMergedIntoTrailers(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);
        var stream = await h.Session.OpenStreamAsync(Request(h.Session), 0, true);

        await h.Peer.SendAsync(
            PeerFrames.SynReply(version, 1, 0, h.Peer.Block(h.Peer.Response())),
            PeerFrames.Headers(version, 1, SpdyFlags.Fin, h.Peer.Block(("x-trailer", "done"))));

        await ReadToEndAsync(stream.Input);
        Assert.That(stream.Trailers?["x-trailer"], Is.EqualTo("done"));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_ServerPush_IsHandedToTheCallbackWithItsBody(SpdyVersion version)
    {
        var pushed = new TaskCompletionSource<(SpdyStream Stream, string Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await Harness.StartAsync(version, SpdyRole.Client, async stream =>
        {
            var body = await ReadToEndAsync(stream.Input);
            pushed.SetResult((stream, Encoding.ASCII.GetString(body)));
        });
        var request = await h.Session.OpenStreamAsync(Request(h.Session), 0, true);
        var pushHeaders = version == SpdyVersion.Spdy2
            ? new[] { ("url", "https://example.test/style.css"), ("status", "200 OK"), ("version", "HTTP/1.1") }
            : new[] { (":scheme", "https"), (":host", "example.test"), (":path", "/style.css"), (":status", "200 OK"), (":version", "HTTP/1.1") };

        await h.Peer.SendAsync(
            PeerFrames.SynReply(version, 1, 0, h.Peer.Block(h.Peer.Response())),
            PeerFrames.SynStream(version, 2, 1, 2, SpdyFlags.Unidirectional, h.Peer.Block(pushHeaders)),
            PeerFrames.Data(1, SpdyFlags.Fin, "<html/>"u8.ToArray()),
            PeerFrames.Data(2, SpdyFlags.Fin, "body{}"u8.ToArray()));

        var (push, pushBody) = await pushed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Multiple(() =>
        {
            Assert.That((push.Id, push.IsPushed, push.AssociatedStreamId, push.Priority), Is.EqualTo((2, true, 1, 2)));
            Assert.That(pushBody, Is.EqualTo("body{}"));
            Assert.That(h.Session.Counters.PushesReceived, Is.EqualTo(1));
        });
        var request_ = h.Session.Profile.ReadRequest(push.Headers);
        Assert.That(request_.Path, Is.EqualTo("/style.css"));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_PushWithoutAssociatedStream_IsProtocolError(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client, _ => Task.CompletedTask);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 2, 0, 0, SpdyFlags.Unidirectional, h.Peer.Block(("url", "x"), (":path", "/"), (":host", "h"), (":scheme", "https"))));

        await h.Peer.ExpectRstAsync(2, RstStatus.ProtocolError);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_PushAssociatedWithUnknownStream_IsInvalidStream(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client, _ => Task.CompletedTask);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 2, 7, 0, SpdyFlags.Unidirectional, h.Peer.Block(("url", "x"), (":path", "/"), (":host", "h"), (":scheme", "https"))));

        await h.Peer.ExpectRstAsync(2, RstStatus.InvalidStream);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_PushWithoutUrlHeaders_IsProtocolError(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client, _ => Task.CompletedTask);
        await h.Session.OpenStreamAsync(Request(h.Session), 0, true);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 2, 1, 0, SpdyFlags.Unidirectional, h.Peer.Block(("x-nothing", "1"))));

        await h.Peer.ExpectRstAsync(2, RstStatus.ProtocolError);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_GoAwayFromServer_FailsUnprocessedStreamsAndFinishesOthers(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);
        var one = await h.Session.OpenStreamAsync(Request(h.Session, "/1"), 0, true);
        var three = await h.Session.OpenStreamAsync(Request(h.Session, "/3"), 0, true);

        await h.Peer.SendAsync(PeerFrames.GoAway(version, 1));

        var ex = await Assert.ThrowsAsync<SpdySessionClosedException>(async () => await three.ResponseHeadersAsync);
        Assert.That(ex!.NotProcessed, Is.True);
        await Assert.ThrowsAsync<SpdySessionClosedException>(async () => await h.Session.OpenStreamAsync(Request(h.Session), 0, true));
        await h.Peer.SendAsync(PeerFrames.SynReply(version, 1, 0, h.Peer.Block(h.Peer.Response())), PeerFrames.Data(1, SpdyFlags.Fin, "ok"u8.ToArray()));
        Assert.That(Encoding.ASCII.GetString(await ReadToEndAsync(one.Input)), Is.EqualTo("ok"));
        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.Ok);
        await h.WaitClosedAsync();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_SettingsWithPersistFlag_AreKeptForTheNextSession(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);

        await h.Peer.SendAsync(PeerFrames.Settings(version, 0, ((int)SettingsId.RoundTripTime, 1, 80), ((int)SettingsId.MaxConcurrentStreams, 0, 50)));
        await h.Session.PingAsync().AsTask().ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromMilliseconds(200)).ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.Multiple(() =>
        {
            Assert.That(h.Session.SettingsToPersist, Is.EqualTo(new[] { new SettingsEntry(SettingsId.RoundTripTime, SettingsEntryFlags.Persisted, 80) }));
            Assert.That(h.Session.PeerSettings[SettingsId.MaxConcurrentStreams], Is.EqualTo(50u));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_SettingsClearFlag_DropsPersistedSettings(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);

        await h.Peer.SendAsync(
            PeerFrames.Settings(version, 0, ((int)SettingsId.RoundTripTime, 1, 80)),
            PeerFrames.Settings(version, SpdyFlags.ClearSettings, ((int)SettingsId.DownloadBandwidth, 0, 1)));
        await PingRoundTripAsync(h, version); // both SETTINGS are handled

        Assert.That(h.Session.SettingsToPersist, Is.Empty);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_ServerPing_IsEchoedAndClientPingUsesOddIds(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);

        await h.Peer.SendAsync(PeerFrames.Ping(version, 2));
        var echo = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        var rtt = h.Session.PingAsync().AsTask();
        var own = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "client PING");
        await h.Peer.SendAsync(PeerFrames.Ping(version, (uint)own.Int32At(0)));

        await rtt.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That((echo.Int32At(0), own.Int32At(0) % 2), Is.EqualTo((2, 1)));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Reset_ByApplication_SendsRstAndFaultsInput(SpdyVersion version)
    {
        await using var h = await Harness.StartAsync(version, SpdyRole.Client);
        var stream = await h.Session.OpenStreamAsync(Request(h.Session), 0, true);

        stream.Reset(RstStatus.Cancel);

        await h.Peer.ExpectRstAsync(1, RstStatus.Cancel);
        await Assert.ThrowsAsync<SpdyStreamResetException>(async () => await stream.Input.ReadAsync());
        // Frames still in flight for the reset stream are dropped without another RST (spdy3 §2.4.2 coalescing).
        await h.Peer.SendAsync(PeerFrames.SynReply(version, 1, 0, h.Peer.Block(h.Peer.Response())), PeerFrames.Data(1, 0, "x"u8.ToArray()), PeerFrames.Ping(version, 2));
        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(h.Peer.Seen.Any(f => f.Type == PeerFrame.RstStream), Is.False);
    }

    [TestCase(SpdyVersion.Spdy3)]
    [TestCase(SpdyVersion.Spdy31)]
    public async Task Run_PushWithStatusInLaterHeaders_CompletesResponseHeadersWithIt(SpdyVersion version)
    {
        var pushed = new TaskCompletionSource<HeaderList>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await Harness.StartAsync(version, SpdyRole.Client, async stream =>
        {
            pushed.SetResult(await stream.ResponseHeadersAsync);
            await ReadToEndAsync(stream.Input);
        });
        await h.Session.OpenStreamAsync(Request(h.Session), 0, true);

        // spdy3 §3.3.1: the push's SYN_STREAM names the resource; its response headers follow in HEADERS.
        await h.Peer.SendAsync(
            PeerFrames.SynReply(version, 1, 0, h.Peer.Block(h.Peer.Response())),
            PeerFrames.SynStream(version, 2, 1, 0, SpdyFlags.Unidirectional, h.Peer.Block((":scheme", "https"), (":host", "example.test"), (":path", "/late.css"))));
        await Task.Delay(50);
        Assert.That(pushed.Task.IsCompleted, Is.False, "waits for the status");
        await h.Peer.SendAsync(
            PeerFrames.Headers(version, 2, 0, h.Peer.Block((":status", "200 OK"), (":version", "HTTP/1.1"), ("content-type", "text/css"))),
            PeerFrames.Data(2, SpdyFlags.Fin, "a{}"u8.ToArray()));

        var headers = await pushed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That((headers[":path"], headers[":status"], headers["content-type"]), Is.EqualTo(("/late.css", "200 OK", "text/css")));
    }
}
