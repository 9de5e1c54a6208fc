using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Session;

/// <summary>spdy3 §2.6.8 per-stream windows; spdy3.1 §2.6.8 adds the session window.</summary>
[CancelAfter(20000)]
public class FlowControlTests
{
    public static readonly SpdyVersion[] FlowControlVersions = ServerSessionTests.FlowControlVersions;

    private static Task<Harness> StartServer(SpdyVersion version, Func<SpdyStream, SpdySession, Task> handler, Func<SpdySessionOptions, SpdySessionOptions>? configure = null)
    {
        var ready = new TaskCompletionSource<SpdySession>(TaskCreationOptions.RunContinuationsAsynchronously);
        return Harness.StartAsync(version, SpdyRole.Server, async stream => await handler(stream, await ready.Task), configure)
            .ContinueWith(t =>
            {
                ready.SetResult(t.Result.Session);
                return t.Result;
            }, TaskScheduler.Default);
    }

    private static Func<SpdyStream, SpdySession, Task> Body(int size) => async (stream, session) =>
    {
        await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200), endStream: false);
        await stream.WriteDataAsync(new byte[size], endStream: true);
    };

    /// <summary>Sums DATA payload per stream until <paramref name="quiet"/> passes without a frame.</summary>
    private static async Task<Dictionary<int, int>> DrainDataAsync(SpdyTestPeer peer, TimeSpan quiet, Dictionary<int, int>? totals = null)
    {
        totals ??= new Dictionary<int, int>();
        while (true)
        {
            PeerFrame? frame;
            try
            {
                frame = await peer.ReadFrameAsync(quiet);
            }
            catch (TimeoutException)
            {
                return totals;
            }

            if (frame is null)
            {
                return totals;
            }

            if (!frame.IsControl)
            {
                totals[frame.StreamId] = totals.GetValueOrDefault(frame.StreamId) + frame.Payload.Length;
            }
        }
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task WriteDataAsync_StreamWindowExhausted_WaitsForWindowUpdate(SpdyVersion version)
    {
        await using var h = await StartServer(version, Body(200_000));

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));
        var first = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300));
        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 1, 30_000));
        if (version == SpdyVersion.Spdy31)
        {
            await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 0, 30_000));
        }

        var second = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300));

        Assert.That((first.GetValueOrDefault(1), second.GetValueOrDefault(1)), Is.EqualTo((65536, 30_000)));
    }

    [Test]
    public async Task WriteDataAsync_SessionWindowExhausted_WaitsForSessionWindowUpdate()
    {
        var version = SpdyVersion.Spdy31;
        await using var h = await StartServer(version, Body(50_000));
        await h.Peer.SendAsync(PeerFrames.Settings(version, 0, ((int)SettingsId.InitialWindowSize, 0, 1 << 20)));

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/a"))),
            PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/b"))));
        var first = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300));
        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 0, 40_000));
        var all = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300), new Dictionary<int, int>(first));

        Assert.Multiple(() =>
        {
            Assert.That(first.Values.Sum(), Is.EqualTo(65536), "both streams share the 64 KB session window");
            Assert.That(all[1] + all[3], Is.EqualTo(100_000));
        });
    }

    // SessionWindowFromPeerUpdate (the server's cleartext wire version 3, where SPDY/3 and 3.1 look alike).
    [Test]
    public async Task WriteDataAsync_SessionWindowFromPeerUpdateAndPeerWithoutSessionUpdates_SendsPastTheSessionWindow()
    {
        var version = SpdyVersion.Spdy31;
        await using var h = await StartServer(version, Body(50_000), o => Harness.With(o, sessionWindowFromPeerUpdate: true));
        // A SPDY/3 peer: per-stream windows (here 1 MB), never a WINDOW_UPDATE on stream 0 (spdy3 §2.6.8).
        await h.Peer.SendAsync(PeerFrames.Settings(version, 0, ((int)SettingsId.InitialWindowSize, 0, 1 << 20)));

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/a"))),
            PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/b"))));
        var all = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300));

        Assert.That((all.GetValueOrDefault(1), all.GetValueOrDefault(3)), Is.EqualTo((50_000, 50_000)), "past the 64 KB a 3.1 session window would allow");
        Assert.That(h.Session.SessionWindowEnforced, Is.False);
    }

    [Test]
    public async Task WriteDataAsync_SessionWindowFromPeerUpdateAfterThePeersSessionUpdate_EnforcesTheSessionWindow()
    {
        var version = SpdyVersion.Spdy31;
        await using var h = await StartServer(version, Body(50_000), o => Harness.With(o, sessionWindowFromPeerUpdate: true));
        // A 3.1 peer announces a larger session window in its first flight (node-spdy and Chromium do).
        await h.Peer.SendAsync(
            PeerFrames.Settings(version, 0, ((int)SettingsId.InitialWindowSize, 0, 1 << 20)),
            PeerFrames.WindowUpdate(version, 0, 10_000));

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/a"))),
            PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/b"))));
        var first = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300));
        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 0, 30_000));
        var all = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300), new Dictionary<int, int>(first));

        Assert.Multiple(() =>
        {
            Assert.That(first.Values.Sum(), Is.EqualTo(65536 + 10_000), "the 64 KB session window plus the peer's credit");
            Assert.That(all[1] + all[3], Is.EqualTo(100_000));
            Assert.That(h.Session.SessionWindowEnforced, Is.True);
        });
    }

    [Test]
    public async Task Run_SessionWindowFromPeerUpdateAndDataOverTheSessionWindowBeforeAnyPeerUpdate_IsAccepted()
    {
        var version = SpdyVersion.Spdy31;
        var hold = new TaskCompletionSource();
        await using var h = await StartServer(version, async (stream, session) => await hold.Task,
            o => Harness.With(o, initialWindowSize: 1 << 20, sessionWindowSize: 65536, sessionWindowFromPeerUpdate: true));

        // A SPDY/3 peer is bound by our stream window only: 70 000 bytes pass our 64 KB session window.
        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))),
            PeerFrames.Data(1, 0, new byte[40000]),
            PeerFrames.Data(1, 0, new byte[30000]),
            PeerFrames.Ping(version, 1));

        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(h.Peer.Seen.Any(f => f.Type is PeerFrame.GoAway or PeerFrame.RstStream), Is.False);
        hold.SetResult();
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Run_InitialWindowSizeSetting_AdjustsOpenStreams(SpdyVersion version)
    {
        await using var h = await StartServer(version, Body(100_000));
        await h.Peer.SendAsync(PeerFrames.Settings(version, 0, ((int)SettingsId.InitialWindowSize, 0, 16384)));

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));
        var first = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300));
        await h.Peer.SendAsync(PeerFrames.Settings(version, 0, ((int)SettingsId.InitialWindowSize, 0, 40000)));
        var second = await DrainDataAsync(h.Peer, TimeSpan.FromMilliseconds(300));

        Assert.That((first.GetValueOrDefault(1), second.GetValueOrDefault(1)), Is.EqualTo((16384, 40000 - 16384)));
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Run_WindowUpdateOverflowingStreamWindow_IsFlowControlError(SpdyVersion version)
    {
        var hold = new TaskCompletionSource();
        await using var h = await StartServer(version, async (stream, session) => await hold.Task);
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));

        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 1, int.MaxValue));

        await h.Peer.ExpectRstAsync(1, RstStatus.FlowControlError);
        hold.SetResult();
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Run_WindowUpdateOverflowingStreamWindowAfterOurFin_IsFlowControlError(SpdyVersion version)
    {
        // The reply is complete (our FIN) while the peer's side is still open: half-closed from our side. Other
        // updates are ignored there (spdy3 §2.6.8 "should ignore"), but a window past 2^31-1 "must" be reset.
        await using var h = await StartServer(version, Body(1000));
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))));
        await h.Peer.ExpectAsync(f => !f.IsControl && f.StreamId == 1 && f.Fin, "the reply's last DATA");

        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 1, int.MaxValue));

        await h.Peer.ExpectRstAsync(1, RstStatus.FlowControlError);
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Run_WindowUpdateAfterOurFin_IsIgnored(SpdyVersion version)
    {
        await using var h = await StartServer(version, Body(1000));
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))));
        await h.Peer.ExpectAsync(f => !f.IsControl && f.StreamId == 1 && f.Fin, "the reply's last DATA");

        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 1, 1000), PeerFrames.WindowUpdate(version, 1, 0), PeerFrames.Ping(version, 1));

        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(h.Peer.Seen.Any(f => f.Type is PeerFrame.RstStream or PeerFrame.GoAway), Is.False);
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Run_WindowUpdateForAClosedStream_IsIgnored(SpdyVersion version)
    {
        await using var h = await StartServer(version, Body(1000));
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));
        await h.Peer.ExpectAsync(f => !f.IsControl && f.StreamId == 1 && f.Fin, "the reply's last DATA");

        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 1, int.MaxValue), PeerFrames.Ping(version, 1));

        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(h.Peer.Seen.Any(f => f.Type is PeerFrame.RstStream or PeerFrame.GoAway), Is.False);
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Run_WindowUpdateForANeverOpenedStream_IsInvalidStream(SpdyVersion version)
    {
        await using var h = await StartServer(version, Body(1));

        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 5, 1000));

        await h.Peer.ExpectRstAsync(5, RstStatus.InvalidStream);
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Run_SettingsRaisingAStreamWindowPast2To31_IsFlowControlError(SpdyVersion version)
    {
        var hold = new TaskCompletionSource();
        await using var h = await StartServer(version, async (stream, session) => await hold.Task);
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request())));
        // Exactly 2^31-1: allowed.
        await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 1, int.MaxValue - 65536), PeerFrames.Ping(version, 1));
        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(h.Peer.Seen.Any(f => f.Type == PeerFrame.RstStream), Is.False, "a window of exactly 2^31-1 is legal");

        await h.Peer.SendAsync(PeerFrames.Settings(version, 0, ((int)SettingsId.InitialWindowSize, 0, 65537)));

        await h.Peer.ExpectRstAsync(1, RstStatus.FlowControlError);
        hold.SetResult();
    }

    [Test]
    public async Task Input_Spdy2ConsumedByTheApplication_SendsWindowUpdatesForPeersThatWaitForThem()
    {
        // SPDY/2 has no flow control, but node-spdy keeps a 64 KB stream send window in SPDY/2 and waits for
        // WINDOW_UPDATE; a peer that follows SPDY/2 ignores the unknown frame type (spdy2 › Control frames).
        var consumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(SpdyVersion.Spdy2, async (stream, session) =>
        {
            long total = 0;
            while (total < 40000)
            {
                var result = await stream.Input.ReadAsync();
                total += result.Buffer.Length;
                stream.Input.AdvanceTo(result.Buffer.End);
            }

            consumed.SetResult();
            await Task.Delay(Timeout.Infinite, stream.Aborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });

        await h.Peer.SendAsync(
            PeerFrames.SynStream(SpdyVersion.Spdy2, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))),
            PeerFrames.Data(1, 0, new byte[40000]));
        await consumed.Task.WaitAsync(TimeSpan.FromSeconds(5));

        var update = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.WindowUpdate, "WINDOW_UPDATE");
        Assert.That((update.StreamId, update.WindowDelta), Is.EqualTo((1, 40000)));
    }

    [Test]
    public async Task Input_Spdy2WithSpdy2WindowUpdatesOff_SendsNoWindowUpdate()
    {
        var consumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(SpdyVersion.Spdy2, async (stream, session) =>
        {
            long total = 0;
            while (total < 40000)
            {
                var result = await stream.Input.ReadAsync();
                total += result.Buffer.Length;
                stream.Input.AdvanceTo(result.Buffer.End);
            }

            consumed.SetResult();
            await Task.Delay(Timeout.Infinite, stream.Aborted).ContinueWith(_ => { }, TaskScheduler.Default);
        }, o => Harness.With(o, spdy2WindowUpdates: false));

        await h.Peer.SendAsync(
            PeerFrames.SynStream(SpdyVersion.Spdy2, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))),
            PeerFrames.Data(1, 0, new byte[40000]));
        await consumed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await h.Peer.SendAsync(PeerFrames.Ping(SpdyVersion.Spdy2, 1));
        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");

        Assert.That(h.Peer.Seen.Any(f => f.Type == PeerFrame.WindowUpdate), Is.False);
    }

    [Test]
    public async Task Run_WindowUpdateOverflowingSessionWindow_IsSessionError()
    {
        await using var h = await StartServer(SpdyVersion.Spdy31, Body(1));

        await h.Peer.SendAsync(PeerFrames.WindowUpdate(SpdyVersion.Spdy31, 0, int.MaxValue));

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
    }

    [Test]
    public async Task Run_WindowUpdateOnStreamZeroInSpdy3_IsIgnored()
    {
        await using var h = await StartServer(SpdyVersion.Spdy3, Body(1));

        await h.Peer.SendAsync(PeerFrames.WindowUpdate(SpdyVersion.Spdy3, 0, int.MaxValue), PeerFrames.Ping(SpdyVersion.Spdy3, 1));

        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");
        Assert.That(h.Peer.Seen.Any(f => f.Type == PeerFrame.GoAway), Is.False);
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Run_DataOverStreamWindow_IsFlowControlError(SpdyVersion version)
    {
        var hold = new TaskCompletionSource();
        await using var h = await StartServer(version, async (stream, session) => await hold.Task, o => Harness.With(o, sessionWindowSize: 1 << 20));

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))),
            PeerFrames.Data(1, 0, new byte[40000]),
            PeerFrames.Data(1, 0, new byte[30000]));

        await h.Peer.ExpectRstAsync(1, RstStatus.FlowControlError);
        hold.SetResult();
    }

    [Test]
    public async Task Run_DataOverSessionWindow_IsSessionError()
    {
        var version = SpdyVersion.Spdy31;
        var hold = new TaskCompletionSource();
        await using var h = await StartServer(version, async (stream, session) => await hold.Task, o => Harness.With(o, initialWindowSize: 1 << 20));

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))),
            PeerFrames.Data(1, 0, new byte[40000]),
            PeerFrames.Data(1, 0, new byte[30000]));

        await h.Peer.ExpectGoAwayAsync(GoAwayStatus.ProtocolError);
        hold.SetResult();
    }

    [TestCaseSource(nameof(FlowControlVersions))]
    public async Task Input_ConsumedByTheApplication_SendsWindowUpdates(SpdyVersion version)
    {
        var consume = new TaskCompletionSource();
        var consumed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartServer(version, async (stream, session) =>
        {
            await consume.Task;
            long total = 0;
            while (total < 40000)
            {
                var result = await stream.Input.ReadAsync();
                total += result.Buffer.Length;
                stream.Input.AdvanceTo(result.Buffer.End);
            }

            consumed.SetResult(total);
            await Task.Delay(Timeout.Infinite, stream.Aborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))),
            PeerFrames.Data(1, 0, new byte[40000]));
        await Task.Delay(200);
        Assert.That(h.TraceLines.Any(l => l.StartsWith("-> WINDOW_UPDATE")), Is.False, "no update before the application reads");
        consume.SetResult();
        await consumed.Task.WaitAsync(TimeSpan.FromSeconds(5));

        var updates = new Dictionary<int, int>();
        var expected = version == SpdyVersion.Spdy31 ? new Dictionary<int, int> { [0] = 40000, [1] = 40000 } : new Dictionary<int, int> { [1] = 40000 };
        while (updates.Count < expected.Count)
        {
            var update = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.WindowUpdate, "WINDOW_UPDATE");
            updates[update.StreamId] = update.WindowDelta;
        }

        Assert.That(updates, Is.EqualTo(expected));
    }

    [Test]
    public async Task Run_LargerSessionWindow_IsAnnouncedOnStreamZero()
    {
        await using var h = await StartServer(SpdyVersion.Spdy31, Body(1), o => Harness.With(o, sessionWindowSize: 1 << 20));

        var update = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.WindowUpdate, "session WINDOW_UPDATE");

        Assert.That((update.StreamId, update.WindowDelta), Is.EqualTo((0, (1 << 20) - 65536)));
    }

    [Test]
    public async Task Run_Spdy2UnreadBody_AppliesBackPressureInsteadOfBuffering()
    {
        // SPDY/2 has no flow control: past MaxBufferedDataPerStream the read loop waits for the application,
        // so a 4 MB upload into a handler that does not read is not buffered in full.
        var hold = new TaskCompletionSource();
        var h = await StartServer(SpdyVersion.Spdy2, async (stream, session) => await hold.Task);
        try
        {
            await h.Peer.SendAsync(PeerFrames.SynStream(SpdyVersion.Spdy2, 1, 0, 0, 0, h.Peer.Block(h.Peer.Request("/upload", "POST"))));
            var send = Task.Run(async () =>
            {
                for (var i = 0; i < 64; i++)
                {
                    await h.Peer.SendAsync(PeerFrames.Data(1, 0, new byte[65536]));
                }
            });
            // Up to the limit the read loop takes DATA in (however slow the machine); then it must stop.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (h.Session.Counters.DataBytesReceived < (1L << 20) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.That(h.Session.Counters.DataBytesReceived, Is.GreaterThanOrEqualTo(1L << 20), "the first MB was read");
            await Task.Delay(300); // time for a session without back-pressure to read on

            Assert.That(h.Session.Counters.DataBytesReceived, Is.LessThan(4L << 20));
            Assert.That(send.IsCompleted, Is.False, "the sender is held back");
            hold.SetResult(); // the handler returns without reading: the stream is reset and the rest is discarded
            await send.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await h.DisposeAsync();
        }
    }
}
