using System.Text;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Session;

/// <summary>The engine in the server role against a test client built from the spec.</summary>
[CancelAfter(20000)]
public class ServerSessionTests
{
    public static readonly SpdyVersion[] AllVersions = [SpdyVersion.Spdy2, SpdyVersion.Spdy3, SpdyVersion.Spdy31];
    public static readonly SpdyVersion[] FlowControlVersions = [SpdyVersion.Spdy3, SpdyVersion.Spdy31];

    internal static async Task Hello(SpdyStream stream, SpdySession session)
    {
        var request = session.Profile.ReadRequest(stream.Headers);
        await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200, null, [new("content-type", "text/plain")]), endStream: false);
        await stream.WriteDataAsync(Encoding.ASCII.GetBytes($"hello {request.Path}"), endStream: true);
    }

    private static Task<Harness> StartServer(SpdyVersion version, Func<SpdyStream, SpdySession, Task>? handler = null,
        Func<SpdySessionOptions, SpdySessionOptions>? configure = null, long sessionOutputPause = 65536)
    {
        SpdySession? session = null;
        var ready = new TaskCompletionSource<SpdySession>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = Harness.StartAsync(version, SpdyRole.Server, async stream => await (handler ?? Hello)(stream, await ready.Task), configure, sessionOutputPause);
        return task.ContinueWith(t =>
        {
            session = t.Result.Session;
            ready.SetResult(session);
            return t.Result;
        }, TaskScheduler.Default);
    }

    private static async Task<string> ReadBodyAsync(SpdyTestPeer peer, int streamId)
    {
        var body = new List<byte>();
        while (true)
        {
            var frame = await peer.ExpectAsync(f => !f.IsControl && f.StreamId == streamId, $"DATA on stream {streamId}");
            body.AddRange(frame.Payload);
            if (frame.Fin)
            {
                return Encoding.ASCII.GetString(body.ToArray());
            }
        }
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_Request_AnswersWithSynReplyAndBody(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/index.html"))));

        var reply = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynReply, "SYN_REPLY");
        var body = await ReadBodyAsync(h.Peer, 1);
        Assert.Multiple(() =>
        {
            Assert.That(reply.StreamId, Is.EqualTo(1));
            Assert.That(reply.Header(h.Peer.StatusName), Is.EqualTo("200 OK"));
            Assert.That(reply.Header("content-type"), Is.EqualTo("text/plain"));
            Assert.That(body, Is.EqualTo("hello /index.html"));
            Assert.That(h.Session.Counters.StreamsOpenedByPeer, Is.EqualTo(1));
            Assert.That(h.Session.Counters.HeaderBytesReceivedRaw, Is.GreaterThan(h.Session.Counters.HeaderBytesReceivedCompressed));
            Assert.That(h.Session.Counters.HeaderBytesSentCompressed, Is.GreaterThan(0));
            Assert.That(h.Session.Counters.DataBytesSent, Is.EqualTo("hello /index.html".Length));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_InitialSettings_AnnounceConcurrencyAndWindow(SpdyVersion version)
    {
        await using var h = await StartServer(version, configure: o => Harness.With(o, maxConcurrentStreams: 42, initialWindowSize: 131072));

        var payload = h.InitialSettings!.Payload;
        var count = h.InitialSettings.Int32At(0);
        // entry 1: MAX_CONCURRENT_STREAMS = 42 in the version's layout
        var idBytes = payload[4..8];
        Assert.Multiple(() =>
        {
            Assert.That(count, Is.EqualTo(version == SpdyVersion.Spdy2 ? 1 : 2));
            Assert.That(idBytes, Is.EqualTo(version == SpdyVersion.Spdy2 ? new byte[] { 4, 0, 0, 0 } : new byte[] { 0, 0, 0, 4 }));
            Assert.That(h.InitialSettings.Int32At(8), Is.EqualTo(42));
        });
        if (version != SpdyVersion.Spdy2)
        {
            Assert.That(h.InitialSettings.Int32At(16), Is.EqualTo(131072));
        }
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_RequestBody_IsDeliveredToTheHandler(SpdyVersion version)
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(version, async (stream, session) =>
        {
            var body = new MemoryStream();
            await stream.Input.CopyToAsync(body);
            received.SetResult(Encoding.ASCII.GetString(body.ToArray()));
            await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(204), endStream: true);
        });

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))),
            PeerFrames.Data(1, 0, "abc"u8.ToArray()),
            PeerFrames.Data(1, SpdyFlags.Fin, "def"u8.ToArray()));

        Assert.That(await received.Task.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo("abcdef"));
        var reply = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynReply, "SYN_REPLY");
        Assert.That((reply.Fin, reply.Header(h.Peer.StatusName)), Is.EqualTo((true, "204 No Content")));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_SynStreamIdZero_IsSessionError(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 0, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
        await h.WaitClosedAsync();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_EvenStreamIdFromClient_IsSessionError(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 2, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_DecreasingStreamId_IsSessionErrorWithLastGoodId(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 5, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())),
            PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        var goAway = await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
        Assert.That(goAway.GoAwayLastGood, Is.EqualTo(5));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_SecondSynStreamForOpenStream_IsStreamProtocolError(SpdyVersion version)
    {
        var hold = new TaskCompletionSource();
        await using var h = await StartServer(version, async (stream, session) =>
        {
            await hold.Task;
        });

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request())),
            PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request())));

        await h.Peer.ExpectRstAsync(1, RstStatus.ProtocolError);
        hold.SetResult();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_OverMaxConcurrentStreams_RefusesTheStream(SpdyVersion version)
    {
        var hold = new TaskCompletionSource();
        await using var h = await StartServer(version, async (stream, session) =>
        {
            await hold.Task;
            await Hello(stream, session);
        }, o => Harness.With(o, maxConcurrentStreams: 2));

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())),
            PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())),
            PeerFrames.SynStream(version, 5, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        await h.Peer.ExpectRstAsync(5, RstStatus.RefusedStream);
        hold.SetResult();
        var first = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynReply, "a reply");
        var second = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynReply, "another reply");
        Assert.That(new[] { first.StreamId, second.StreamId }, Is.EquivalentTo(new[] { 1, 3 }));
        Assert.That(h.Session.Counters.StreamsRefused, Is.EqualTo(1));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_DataForUnknownStream_IsInvalidStream(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.Data(7, 0, "x"u8.ToArray()));

        await h.Peer.ExpectRstAsync(7, RstStatus.InvalidStream);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_DataAfterFin_IsStreamAlreadyClosed(SpdyVersion version)
    {
        var hold = new TaskCompletionSource();
        await using var h = await StartServer(version, async (stream, session) =>
        {
            await hold.Task;
        });

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())),
            PeerFrames.Data(1, 0, "late"u8.ToArray()));

        // SPDY/2 has no STREAM_ALREADY_CLOSED (its codes end at 7): PROTOCOL_ERROR there.
        await h.Peer.ExpectRstAsync(1, SpdyProtocolProfile.For(version).ToWireStatus(RstStatus.StreamAlreadyClosed));
        hold.SetResult();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_DataAfterStreamClosed_IsProtocolError(SpdyVersion version)
    {
        await using var h = await StartServer(version);
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));
        await ReadBodyAsync(h.Peer, 1);
        await Task.Delay(50);

        await h.Peer.SendAsync(PeerFrames.Data(1, 0, "late"u8.ToArray()));

        await h.Peer.ExpectRstAsync(1, RstStatus.ProtocolError);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_ZeroLengthHeaderName_ResetsStreamAndKeepsSession(SpdyVersion version)
    {
        await using var h = await StartServer(version);
        var bad = h.Peer.CompressRaw(PeerFrames.NvBlock(version, ("", "x")));

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, bad),
            PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/after"))));

        await h.Peer.ExpectRstAsync(1, RstStatus.ProtocolError);
        Assert.That(await ReadBodyAsync(h.Peer, 3), Is.EqualTo("hello /after"));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_HeaderBlockThatDoesNotInflate_IsSessionError(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, [0x78, 0xbb, 1, 2, 3, 4, 5, 6, 7, 8]));

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
        await h.WaitClosedAsync();
        Assert.That(h.Session.CloseReason, Is.InstanceOf<SpdyProtocolException>());
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_HeaderBomb_ResetsFrameTooLargeAndEndsSession(SpdyVersion version)
    {
        await using var h = await StartServer(version, configure: o => Harness.With(o, maxHeaderBlockSize: 16 * 1024));
        var big = version == SpdyVersion.Spdy2 ? 60000 : 1 << 20; // v2 values are limited to 16-bit lengths
        var bomb = h.Peer.Block([.. h.Peer.Request(), ("x-bomb", new string('a', big))]);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, bomb));

        await h.Peer.ExpectRstAsync(1, version == SpdyVersion.Spdy2 ? RstStatus.ProtocolError : RstStatus.FrameTooLarge);
        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
        await h.WaitClosedAsync();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_FrameOverMaxFrameSize_IsSessionError(SpdyVersion version)
    {
        await using var h = await StartServer(version, configure: o => Harness.With(o, maxFrameSize: 8192));

        // Only the header: the session must not wait for (or buffer) 100 KB.
        await h.Peer.SendAsync([0, 0, 0, 1, 0, 0x01, 0x86, 0xA0]);

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
        await h.WaitClosedAsync();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_ControlFrameOfAnotherVersion_IsSessionError(SpdyVersion version)
    {
        await using var h = await StartServer(version);
        var other = version == SpdyVersion.Spdy2 ? 3 : 2;

        await h.Peer.SendAsync(PeerFrames.Control(other, 6, 0, [0, 0, 0, 1]));

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_UnknownControlFrameType_IsIgnored(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(
            PeerFrames.Control(PeerFrames.Wire(version), 0x55, 0, [1, 2, 3, 4, 5]),
            PeerFrames.Ping(version, 7));

        var echo = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(echo.Int32At(0), Is.EqualTo(7));
    }

    [Test]
    public async Task Run_NoopInSpdy2_IsIgnored()
    {
        await using var h = await StartServer(SpdyVersion.Spdy2);

        await h.Peer.SendAsync(PeerFrames.Control(2, 5, 0, []), PeerFrames.Ping(SpdyVersion.Spdy2, 9));

        Assert.That((await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo")).Int32At(0), Is.EqualTo(9));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_ClientPing_IsEchoed(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.Ping(version, 12345));

        var echo = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(echo.Int32At(0), Is.EqualTo(12345));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_EvenPingNotSentByServer_IsIgnored(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.Ping(version, 4), PeerFrames.Ping(version, 5));

        var echo = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(echo.Int32At(0), Is.EqualTo(5), "the even id (server parity) was not echoed");
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task PingAsync_PeerEchoes_ReturnsRoundTripTime(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        var ping = h.Session.PingAsync().AsTask();
        var sent = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "server PING");
        await h.Peer.SendAsync(PeerFrames.Ping(version, (uint)sent.Int32At(0)));

        var rtt = await ping.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Multiple(() =>
        {
            Assert.That(sent.Int32At(0) % 2, Is.EqualTo(0), "server ping ids are even");
            Assert.That(rtt, Is.GreaterThanOrEqualTo(TimeSpan.Zero));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_PingFloodWithoutReading_EndsSessionWithoutUnboundedQueue(SpdyVersion version)
    {
        // The peer reads the session's SETTINGS and nothing else: the session's output pipe pauses at 2 bytes, so
        // its writer is stuck on its first flush of echoes, whether it took them before the read loop hit the
        // limit or after. (With a 4 KB pause it depended on the threads' timing: a writer that ran ahead wrote
        // 4 KB of echoes and was stuck, one that had not run yet flushed echoes and GOAWAY within the 4 KB and the
        // session ended at once.) The GOAWAY cannot be flushed; the session ends after its close flush timeout.
        var closeFlushTimeout = TimeSpan.FromMilliseconds(200);
        await using var h = await StartServer(version, configure: o => Harness.With(o, maxQueuedControlFrames: 100, closeFlushTimeout: closeFlushTimeout), sessionOutputPause: 2);
        const int pings = 2000;
        var flood = Enumerable.Range(0, pings).Select(i => PeerFrames.Ping(version, (uint)(2 * i + 1))).SelectMany(b => b).ToArray();

        await h.Peer.SendAsync(flood);

        // Bound: the close flush timeout, the 1 s the session then gives a cancelled flush, and the usual margin.
        await h.WaitClosedAsync(closeFlushTimeout + TimeSpan.FromSeconds(1) + SpdyTestPeer.DefaultTimeout);
        Assert.Multiple(() =>
        {
            Assert.That(h.Session.CloseReason, Is.InstanceOf<SpdyProtocolException>());
            Assert.That(h.Session.CloseReason!.Message, Does.Contain("flood"));
            // The read loop stopped at the flood: the rest of it was never read, let alone answered.
            Assert.That(h.Session.Counters.FramesReceived, Is.LessThan(pings));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_PingFloodThenReading_GoAwayProtocolErrorFollowsTheQueuedEchoes(SpdyVersion version)
    {
        // As above, but the peer reads after its flood: the writer gets going again and delivers what was queued,
        // the GOAWAY last (within the default close flush timeout of 5 s).
        await using var h = await StartServer(version, configure: o => Harness.With(o, maxQueuedControlFrames: 100), sessionOutputPause: 2);
        var flood = Enumerable.Range(0, 2000).Select(i => PeerFrames.Ping(version, (uint)(2 * i + 1))).SelectMany(b => b).ToArray();

        await h.Peer.SendAsync(flood);

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
        await h.WaitClosedAsync();
        Assert.Multiple(() =>
        {
            // The 100 queued at the limit, and the batch the writer took before (if it ran before the read loop
            // hit the limit): nothing more.
            Assert.That(h.Peer.Seen.Count(f => f.Type == PeerFrame.Ping), Is.GreaterThanOrEqualTo(100).And.LessThan(2000), "echoes before the GOAWAY");
            Assert.That(h.Peer.Seen.Count(f => f.Type == PeerFrame.Ping), Is.EqualTo(h.Session.Counters.FramesSent - 2), "every frame written but SETTINGS and GOAWAY was an echo");
            Assert.That(h.Session.CloseReason!.Message, Does.Contain("flood"));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_RstStreamFromClient_AbortsTheHandler(SpdyVersion version)
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(version, async (stream, session) =>
        {
            stream.Aborted.Register(() => aborted.TrySetResult());
            await Task.Delay(Timeout.Infinite, stream.Aborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())),
            PeerFrames.RstStream(version, 1, (int)RstStatus.Cancel));

        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(h.Session.ActiveStreamCount, Is.Zero);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task GoAwayAsync_InFlightStream_FinishesAndNewStreamsAreIgnored(SpdyVersion version)
    {
        var release = new TaskCompletionSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(version, async (stream, session) =>
        {
            started.TrySetResult();
            await release.Task;
            await Hello(stream, session);
        });
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/one"))));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5)); // stream 1 accepted (a fixed 50 ms could be too short)

        await h.Session.GoAwayAsync();
        var goAway = await h.Peer.ExpectGoAwayAsync(GoAwayStatus.Ok);
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/two"))));
        release.SetResult();

        var rest = await h.Peer.ReadUntilClosedAsync();
        Assert.Multiple(() =>
        {
            Assert.That(goAway.GoAwayLastGood, Is.EqualTo(1));
            Assert.That(rest.Any(f => f.Type == PeerFrame.SynReply && f.StreamId == 1), Is.True, "stream 1 finished");
            Assert.That(rest.Any(f => !f.IsControl && f.StreamId == 1 && f.Fin), Is.True, "stream 1 body ended");
            Assert.That(rest.Any(f => f.StreamId == 3), Is.False, "stream 3 ignored");
        });
        await h.WaitClosedAsync();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_GoAwayFromClientWithNoStreams_ClosesTheSession(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.GoAway(version, 0));

        await h.WaitClosedAsync();
        Assert.That(h.Session.IsGoingAway, Is.True);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_PeerClosesConnection_AbortsOpenStreams(SpdyVersion version)
    {
        var failure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(version, async (stream, session) =>
        {
            try
            {
                await stream.Input.ReadAsync();
                var result = await stream.Input.ReadAsync();
            }
            catch (Exception e)
            {
                failure.TrySetResult(e);
            }
        });

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request())));
        await Task.Delay(50);
        h.Peer.CloseOutput();

        Assert.That(await failure.Task.WaitAsync(TimeSpan.FromSeconds(5)), Is.InstanceOf<SpdySessionClosedException>());
        await h.WaitClosedAsync();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task PushAsync_OnOpenRequest_SendsUnidirectionalSynStreamBeforeTheFin(SpdyVersion version)
    {
        await using var h = await StartServer(version, async (stream, session) =>
        {
            await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200), endStream: false);
            var push = await session.PushAsync(stream, session.Profile.CreatePushHeaders("https", "example.test", "/style.css"), 1);
            await stream.WriteDataAsync("<html/>"u8.ToArray(), endStream: true);
            await push.WriteDataAsync("body{}"u8.ToArray(), endStream: true);
        });

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        var push = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynStream, "push SYN_STREAM");
        var pushBody = await ReadBodyAsync(h.Peer, 2);
        var mainFin = h.Peer.Seen.Concat(new[] { push }).FirstOrDefault(f => !f.IsControl && f.StreamId == 1 && f.Fin);
        Assert.Multiple(() =>
        {
            Assert.That(push.StreamId, Is.EqualTo(2));
            Assert.That(push.Flags & SpdyFlags.Unidirectional, Is.Not.Zero);
            Assert.That(push.Int32At(4), Is.EqualTo(1), "associated stream");
            Assert.That(version == SpdyVersion.Spdy2 ? push.Header("url") : push.Header(":path"), Does.EndWith("/style.css"));
            Assert.That(pushBody, Is.EqualTo("body{}"));
            Assert.That(h.Session.Counters.PushesSent, Is.EqualTo(1));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task PushAsync_AfterTheAssociatedFin_Throws(SpdyVersion version)
    {
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(version, async (stream, session) =>
        {
            await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200), endStream: true);
            try
            {
                await session.PushAsync(stream, session.Profile.CreatePushHeaders("https", "example.test", "/late.css"), 1);
                outcome.SetResult(null);
            }
            catch (Exception e)
            {
                outcome.SetResult(e);
            }
        });

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        Assert.That(await outcome.Task.WaitAsync(TimeSpan.FromSeconds(5)), Is.InstanceOf<InvalidOperationException>());
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_ClientResetsAssociatedStream_ResetsItsPushes(SpdyVersion version)
    {
        var pushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(version, async (stream, session) =>
        {
            await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200), endStream: false);
            await session.PushAsync(stream, session.Profile.CreatePushHeaders("https", "example.test", "/a.js"), 1);
            pushed.SetResult();
            await Task.Delay(Timeout.Infinite, stream.Aborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));
        await pushed.Task.WaitAsync(TimeSpan.FromSeconds(5));

        await h.Peer.SendAsync(PeerFrames.RstStream(version, 1, (int)RstStatus.Cancel));

        await h.Peer.ExpectRstAsync(2, RstStatus.Cancel);
    }

    [Test]
    public async Task Run_InvalidCredentialSlotZero_IsSessionError()
    {
        await using var h = await StartServer(SpdyVersion.Spdy3);

        await h.Peer.SendAsync(PeerFrames.Credential(SpdyVersion.Spdy3, 0, [1, 2, 3], [0x30, 0x82]));

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
    }

    [Test]
    public async Task Run_ValidCredential_IsStoredAndItsSlotAccepted()
    {
        await using var h = await StartServer(SpdyVersion.Spdy3);

        await h.Peer.SendAsync(
            PeerFrames.Credential(SpdyVersion.Spdy3, 2, [1, 2, 3], [0x30, 0x82, 0x01], [0x30, 0x03]),
            PeerFrames.SynStream(SpdyVersion.Spdy3, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/cred")), slot: 2));

        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynReply && f.StreamId == 1, "reply");
        Assert.That(h.Session.GetCredential(2), Is.EqualTo(new byte[] { 0x30, 0x82, 0x01 }));
    }

    [Test]
    public async Task Run_SynStreamWithEmptyCredentialSlot_IsInvalidCredentials()
    {
        await using var h = await StartServer(SpdyVersion.Spdy3);

        await h.Peer.SendAsync(PeerFrames.SynStream(SpdyVersion.Spdy3, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request()), slot: 3));

        await h.Peer.ExpectRstAsync(1, RstStatus.InvalidCredentials);
    }

    [Test]
    public async Task Run_CredentialInSpdy31_IsIgnoredAsUnknown()
    {
        await using var h = await StartServer(SpdyVersion.Spdy31);

        await h.Peer.SendAsync(PeerFrames.Credential(SpdyVersion.Spdy31, 0, []), PeerFrames.Ping(SpdyVersion.Spdy31, 3));

        Assert.That((await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo")).Int32At(0), Is.EqualTo(3));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_HandlerThrows_ResetsWithInternalError(SpdyVersion version)
    {
        await using var h = await StartServer(version, (stream, session) => throw new InvalidOperationException("boom"));

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        await h.Peer.ExpectRstAsync(1, RstStatus.InternalError);
    }

    [TestCase(false), TestCase(true)]
    public async Task Run_HandlerReturnsWithoutReplying_ResetsWithInternalError(bool completesLater)
    {
        // Completed at once (the handler runs straight from its thread-pool work item) or later (awaited).
        await using var h = await Harness.StartAsync(SpdyVersion.Spdy31, SpdyRole.Server,
            async _ => { if (completesLater) { await Task.Delay(20); } });

        await h.Peer.SendAsync(PeerFrames.SynStream(SpdyVersion.Spdy31, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        await h.Peer.ExpectRstAsync(1, RstStatus.InternalError);
    }

    [Test]
    public async Task Run_HandlerThrowsSynchronously_ResetsWithInternalError()
    {
        await using var h = await Harness.StartAsync(SpdyVersion.Spdy31, SpdyRole.Server, _ => throw new InvalidOperationException("boom"));

        await h.Peer.SendAsync(PeerFrames.SynStream(SpdyVersion.Spdy31, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        await h.Peer.ExpectRstAsync(1, RstStatus.InternalError);
    }

    private static readonly AsyncLocal<string?> SessionScope = new();

    [Test]
    public async Task Run_Handler_RunsInTheSessionsExecutionContext()
    {
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        SessionScope.Value = "connection 7";
        var started = Harness.StartAsync(SpdyVersion.Spdy31, SpdyRole.Server, stream =>
        {
            seen.TrySetResult(SessionScope.Value);
            return Task.CompletedTask;
        });
        SessionScope.Value = null;
        await using var h = await started;

        await h.Peer.SendAsync(PeerFrames.SynStream(SpdyVersion.Spdy31, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        Assert.That(await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("connection 7"));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_IdleTimeout_SendsGoAwayAndCloses(SpdyVersion version)
    {
        await using var h = await StartServer(version, configure: o => Harness.With(o, idleTimeout: TimeSpan.FromMilliseconds(200)));

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.Ok);
        await h.WaitClosedAsync();
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Run_Trace_DescribesFramesBothWays(SpdyVersion version)
    {
        await using var h = await StartServer(version);

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));
        await ReadBodyAsync(h.Peer, 1);

        Assert.That(h.TraceLines, Has.Some.StartsWith("<- SYN_STREAM stream=1"));
        Assert.That(h.TraceLines, Has.Some.StartsWith("-> SYN_REPLY stream=1"));
        Assert.That(h.TraceLines, Has.Some.StartsWith("-> DATA stream=1"));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task RunAsync_Cancelled_SendsGoAwayAndAbortsStreams(SpdyVersion version)
    {
        var peer = new SpdyTestPeer(version);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var session = new SpdySession(peer.SessionTransport, new SpdySessionOptions { Version = version, Role = SpdyRole.Server }, async stream =>
        {
            stream.Aborted.Register(() => aborted.TrySetResult());
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, stream.Aborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var cts = new CancellationTokenSource();
        var run = session.RunAsync(cts.Token);
        await peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, peer.Block(peer.Request())));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5)); // stream 1 accepted (a fixed 100 ms could be too short)

        cts.Cancel();

        var goAway = await peer.ExpectGoAwayAsync(GoAwayStatus.Ok);
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(goAway.GoAwayLastGood, Is.EqualTo(1));
        await peer.DisposeAsync();
    }
}
