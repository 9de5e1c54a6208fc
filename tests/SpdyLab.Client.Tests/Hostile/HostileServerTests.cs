using System.Buffers;
using System.Diagnostics;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Client.Tests.Hostile;

/// <summary>
/// The SPDY client (<c>SpdyClientConnection</c>) against servers that misbehave on purpose: every case must end
/// in a <see cref="SpdyClientException"/> that says what happened (or, where the protocol says to refuse and
/// read on, in the normal response), within <see cref="Bound"/>, with memory bounded.
/// </summary>
[TestFixture(ClientProtocol.Spdy31)]
[TestFixture(ClientProtocol.Spdy3)]
[TestFixture(ClientProtocol.Spdy2)]
[CancelAfter(30_000)]
public sealed class HostileServerTests(ClientProtocol protocol)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private SpdyProtocolProfile Profile => SpdyProtocolProfile.ForAlpn(protocol.AlpnId())!;

    private bool HasFlowControl => protocol != ClientProtocol.Spdy2;

    private async Task<(HostileSpdyServer Server, IClientConnection Client)> StartAsync(Func<HostilePeer, CancellationToken, Task> script, ClientOptions? options = null)
    {
        var server = new HostileSpdyServer(Profile, script);
        var client = await ClientConnector.ConnectAsync(server.Origin, options ?? new ClientOptions { Protocol = protocol }, CancellationToken.None);
        return (server, client);
    }

    private ClientOptions Options(int maxPushes = 1000, long maxPushedBytes = 64L << 20, double idleSeconds = 60) => new()
    {
        Protocol = protocol,
        MaxPushesPerConnection = maxPushes,
        MaxPushedBytesPerConnection = maxPushedBytes,
        ResponseIdleTimeout = TimeSpan.FromSeconds(idleSeconds),
    };

    private static ClientRequest Get(HostileSpdyServer server, string path = "/") => new(new Uri(server.Origin, path));

    /// <summary>Runs <paramref name="action"/>, which must fail with a SpdyClientException within the bound.</summary>
    private static async Task<SpdyClientException> FailsWithinBoundAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<SpdyClientException>(async () => await action().WaitAsync(Bound + Bound));
        Assert.That(clock.Elapsed, Is.LessThan(Bound), "the error took too long");
        TestContext.Out.WriteLine($"{error!.Kind}: {error.Message}");
        return error;
    }

    private static async Task<byte[]> ReadAllAsync(ClientResponse response)
    {
        using var memory = new MemoryStream();
        await response.Body.CopyToAsync(memory);
        return memory.ToArray();
    }

    /// <summary>Waits until the peer has received a frame matching <paramref name="match"/> (the script keeps reading).</summary>
    private static async Task<T> ReceivedAsync<T>(HostileSpdyServer server, Func<T, bool> match) where T : SpdyFrame
    {
        var peer = await server.Connected.Task.WaitAsync(Bound);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Bound)
        {
            if (peer.Received.OfType<T>().FirstOrDefault(match) is { } frame)
            {
                return frame;
            }

            await Task.Delay(10);
        }

        throw new AssertionException($"the server never received the expected {typeof(T).Name}; got: {string.Join(", ", peer.Received)}");
    }

    // ------------------------------------------------------------------ malformed replies

    [Test]
    public async Task SynReplyWithoutStatus_ProtocolErrorNamingTheHeaderAndStreamReset()
    {
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            var headers = new HeaderList();
            headers.Add("content-type", "text/plain");
            await peer.ReplyRawHeadersAsync(request.Id, headers);
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        var error = await FailsWithinBoundAsync(() => client.SendAsync(Get(server), CancellationToken.None));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain(Profile.StatusHeader));
        var rst = await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 1);
        Assert.That(rst.Status, Is.EqualTo(RstStatus.ProtocolError));
    }

    [Test]
    public async Task SynReplyShorterThanItsFixedPart_SessionErrorGoAwayAndClearMessage()
    {
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            await peer.ExpectRequestAsync(ct);
            // |1|version|type 2| flags 0 | length 2 | then 2 bytes: shorter than the stream id.
            await peer.RawAsync([0x80, (byte)Profile.WireVersion, 0, 2, 0, 0, 0, 2, 0, 1]);
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        var error = await FailsWithinBoundAsync(() => client.SendAsync(Get(server), CancellationToken.None));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("SYN_REPLY"));
        await ReceivedAsync<GoAwayFrame>(server, g => Profile.Version == SpdyVersion.Spdy2 || g.Status == GoAwayStatus.ProtocolError);
    }

    [Test]
    public async Task HeaderBlockBomb_SessionErrorWithBoundedMemory()
    {
        // SYN_REPLY headers of about 4 MB of 'a', a few KB on the wire, built before the clock starts so the
        // allocation count below is the client's. Stream 1 is the client's first request.
        var bomb = new HeaderList();
        bomb.Add(Profile.StatusHeader, "200 OK");
        bomb.Add(Profile.VersionHeader, "HTTP/1.1");
        for (var i = 0; i < 70; i++)
        {
            bomb.Add($"x-bomb-{i}", new string('a', 60000)); // SPDY/2 lengths are 16-bit
        }

        byte[] frame;
        using (var writer = new SpdyFrameWriter(Profile))
        {
            var buffer = new ArrayBufferWriter<byte>();
            writer.WriteSynReply(buffer, 1, false, bomb);
            frame = buffer.WrittenSpan.ToArray();
        }

        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            await peer.ExpectRequestAsync(ct);
            await peer.RawAsync(frame);
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var error = await FailsWithinBoundAsync(() => client.SendAsync(Get(server), CancellationToken.None));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        TestContext.Out.WriteLine($"bomb: {frame.Length} bytes on the wire for {70 * 60000} bytes of headers; the client allocated {allocated >> 10} KB");
        Assert.That(frame.Length, Is.LessThan(64 * 1024), "the bomb should be small on the wire");
        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("header block inflates past"));
        Assert.That(allocated, Is.LessThan(16L << 20), "memory must stay bounded (the 4 MB block is never materialised)");
    }

    [Test]
    public async Task ManyHeadersUnderTheLimit_Accepted()
    {
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            var headers = Enumerable.Range(0, 5000).Select(i => new KeyValuePair<string, string>($"x-h{i}", "v"));
            await peer.ReplyAsync(request.Id, 200, fin: true, headers);
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);

        Assert.That(response.Status, Is.EqualTo(200));
        Assert.That(response.Headers, Has.Count.EqualTo(5000));
    }

    // ------------------------------------------------------------------ pushes

    [Test]
    public async Task PushNotAssociatedWithAnyStream_RefusedAndTheResponseStillArrives()
    {
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            await peer.PushAsync(associatedId: 0, pushedId: 2, "/orphan.css");
            await peer.ReplyAsync(request.Id);
            await peer.DataAsync(request.Id, 100, fin: true);
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);
        var body = await ReadAllAsync(response).WaitAsync(Bound);

        Assert.That((response.Status, body.Length), Is.EqualTo((200, 100)));
        Assert.That((await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 2)).Status, Is.EqualTo(RstStatus.ProtocolError));
        Assert.That(client.Pushed, Is.Empty);
    }

    [Test]
    public async Task PushAfterTheAssociatedStreamFinished_RefusedInvalidStream()
    {
        var responseRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            await peer.ReplyAsync(request.Id);
            await peer.DataAsync(request.Id, 10, fin: true);
            await responseRead.Task.WaitAsync(ct); // the client has closed stream 1 (both sides sent FIN)
            await peer.PushAsync(request.Id, 2, "/late.css");
            await peer.DataAsync(2, 50, fin: true);
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);
        Assert.That((await ReadAllAsync(response).WaitAsync(Bound)).Length, Is.EqualTo(10));
        responseRead.SetResult();

        Assert.That((await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 2)).Status, Is.EqualTo(RstStatus.InvalidStream));
        Assert.That(client.Pushed, Is.Empty, "a push of a finished stream is not kept");
    }

    [Test]
    public async Task EndlessPushes_RefusedOrCutOffAndTheTableStaysBounded()
    {
        // The server pushes until the client ends the session (or 20 000 pushes), reading the client's answers as it goes.
        const int cap = 50;
        const int maxPushes = 20000;
        var pushesSent = 0;
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            var drain = Task.Run(() => peer.DrainAsync(ct), ct);
            await peer.ReplyAsync(request.Id);
            for (var i = 0; i < maxPushes && !drain.IsCompleted; i++)
            {
                await peer.PushAsync(request.Id, 2 + 2 * i, $"/p{i}.css"); // open pushes: each one would hold memory
                pushesSent++;
            }

            await peer.DataAsync(request.Id, 10, fin: true);
            await drain;
        }, Options(maxPushes: cap));
        await using var _ = server;
        await using var __ = client;

        HostilePeer peer0() => server.Connected.Task.Result;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        string outcome;
        try
        {
            await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);
            await ReadAllAsync(response).WaitAsync(Bound);
            outcome = "the response completed";
            Assert.That(peer0().Received.OfType<RstStreamFrame>().Count(r => r.Status == RstStatus.RefusedStream), Is.GreaterThan(0), "pushes past the cap are refused");
        }
        catch (SpdyClientException e)
        {
            // The engine's flood guard: too many refusals waiting to be written ends the session.
            Assert.That(e.Message, Does.Contain("flood"));
            outcome = $"the session was cut off: {e.Message}";
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var peer = await server.Connected.Task;
        var refused = peer.Received.OfType<RstStreamFrame>().Count(r => r.Status == RstStatus.RefusedStream);
        TestContext.Out.WriteLine($"{pushesSent} pushes sent: {client.Pushed.Count} kept, {refused} refused; {outcome} in {clock.ElapsedMilliseconds} ms; {allocated >> 20} MB allocated (both ends)");
        Assert.That(clock.Elapsed, Is.LessThan(Bound));
        Assert.That(client.Pushed, Has.Count.LessThanOrEqualTo(cap));
    }

    [Test]
    public async Task PushedBodiesPastTheConnectionCap_LaterPushesCancelledWithAReason()
    {
        const int pushes = 10;
        const int size = 60 * 1024; // within a push's 64 KB window
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            await peer.ReplyAsync(request.Id);
            for (var i = 0; i < pushes; i++)
            {
                await peer.PushAsync(request.Id, 2 + 2 * i, $"/big{i}.js");
                await peer.DataAsync(2 + 2 * i, size, fin: true);
            }

            await peer.DataAsync(request.Id, 10, fin: true);
            await peer.DrainAsync(ct);
        }, Options(maxPushedBytes: 3 * size));
        await using var _ = server;
        await using var __ = client;

        await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);
        await ReadAllAsync(response).WaitAsync(Bound);
        var pushed = await client.WaitForPushesAsync(CancellationToken.None).WaitAsync(Bound);

        var kept = pushed.Where(p => p.Error is null).Sum(p => (long)p.Body.Length);
        TestContext.Out.WriteLine($"{pushed.Count} pushes, {pushed.Count(p => p.Error is not null)} cancelled, {kept} bytes kept");
        Assert.That(kept, Is.LessThanOrEqualTo(3 * size));
        Assert.That(pushed.Where(p => p.Error is not null).Select(p => p.Error), Has.Some.Contains("exceed"));
    }

    // ------------------------------------------------------------------ window abuse

    [Test]
    public async Task WindowUpdatePastTwoToThe31_UploadFailsWithFlowControlError()
    {
        if (!HasFlowControl)
        {
            Assert.Ignore("SPDY/2 has no flow control");
        }

        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            // Twice: whatever the client already sent, the window passes 2^31-1. In one write: as two, the client's
            // reader could be held up between them long enough (a loaded CI machine) for the whole body and its FIN
            // to go out, after which a WINDOW_UPDATE is rightly ignored ("a sender should ignore all the WINDOW_UPDATE
            // frames" once it has sent its last frame) and no error comes.
            await peer.WindowUpdatesAsync(request.Id, 0x7FFFFFFF, 0x7FFFFFFF);
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        // 4 MB: far more than the client can send while its reader goes from one WINDOW_UPDATE to the next.
        var post = new ClientRequest(new Uri(server.Origin, "/upload")) { Method = "POST", Body = new byte[4 << 20] };
        var error = await FailsWithinBoundAsync(() => client.SendAsync(post, CancellationToken.None));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Stream));
        Assert.That(error.Message, Does.Contain("FLOW_CONTROL_ERROR"));
        Assert.That((await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 1)).Status, Is.EqualTo(RstStatus.FlowControlError));
    }

    [Test]
    public async Task SessionWindowUpdatePastTwoToThe31_SessionErrorGoAway()
    {
        if (protocol != ClientProtocol.Spdy31)
        {
            Assert.Ignore("only SPDY/3.1 has a session window");
        }

        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            await peer.ExpectRequestAsync(ct);
            await peer.WindowUpdateAsync(0, 0x7FFFFFFF);
            await peer.WindowUpdateAsync(0, 0x7FFFFFFF);
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        var error = await FailsWithinBoundAsync(() => client.SendAsync(Get(server), CancellationToken.None));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("window"));
        Assert.That((await ReceivedAsync<GoAwayFrame>(server, _ => true)).Status, Is.EqualTo(GoAwayStatus.ProtocolError));
    }

    [Test]
    public async Task SettingsInitialWindowAboveTwoToThe31_SessionErrorGoAway()
    {
        if (!HasFlowControl)
        {
            Assert.Ignore("SPDY/2 has no INITIAL_WINDOW_SIZE");
        }

        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            await peer.ExpectRequestAsync(ct);
            await peer.SettingsAsync(new SettingsEntry(SettingsId.InitialWindowSize, SettingsEntryFlags.None, 0x80000000u));
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        var error = await FailsWithinBoundAsync(() => client.SendAsync(Get(server), CancellationToken.None));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("INITIAL_WINDOW_SIZE"));
    }

    [Test]
    public async Task DataBeyondTheStreamWindow_BodyFailsWithFlowControlErrorAndMemoryBounded()
    {
        if (!HasFlowControl)
        {
            Assert.Ignore("SPDY/2 has no flow control (the engine applies back-pressure instead)");
        }

        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            await peer.ReplyAsync(request.Id);
            await peer.DataAsync(request.Id, 4 << 20, fin: true); // 4 MB into a 64 KB window
            await peer.DrainAsync(ct);
        });
        await using var _ = server;
        await using var __ = client;

        await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);
        await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 1); // read only after the overrun
        var error = await FailsWithinBoundAsync(() => ReadAllAsync(response));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Stream));
        Assert.That(error.Message, Does.Contain("FLOW_CONTROL_ERROR"));
        Assert.That((await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 1)).Status, Is.EqualTo(RstStatus.FlowControlError));
    }

    // ------------------------------------------------------------------ stalls

    /// <summary>Found by the soak: a request cancelled while waiting for its reply left its stream open; the
    /// reply's body then filled the session (SPDY/2 has no flow control) and stalled every other stream.</summary>
    [Test]
    public async Task RequestCancelledBeforeTheReply_StreamResetAndTheSessionKeepsServing()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var abandoned = await peer.ExpectRequestAsync(ct);
            var served = await peer.ExpectRequestAsync(ct);
            var drain = Task.Run(() => peer.DrainAsync(ct), ct);
            await cancelled.Task.WaitAsync(ct);
            await peer.ReplyAsync(abandoned.Id);
            await peer.DataAsync(abandoned.Id, HasFlowControl ? 60000 : 3 << 20, fin: true); // v2: past the engine's 1 MB of unread data
            await peer.ReplyAsync(served.Id);
            await peer.DataAsync(served.Id, 100, fin: true);
            await drain;
        }, Options(idleSeconds: 10));
        await using var _ = server;
        await using var __ = client;

        using var giveUp = new CancellationTokenSource();
        var first = client.SendAsync(Get(server, "/abandoned"), giveUp.Token);
        await Task.Delay(50);
        var second = client.SendAsync(Get(server, "/served"), CancellationToken.None);
        await Task.Delay(50);
        await giveUp.CancelAsync();
        await Assert.CatchAsync<OperationCanceledException>(async () => await first);
        await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 1 && r.Status == RstStatus.Cancel);
        cancelled.SetResult();

        await using var response = await second.WaitAsync(Bound);
        Assert.That((await ReadAllAsync(response).WaitAsync(Bound)).Length, Is.EqualTo(100));
    }

    [Test]
    public async Task ServerStallsBeforeReplying_TimeoutErrorAndStreamCancelled()
    {
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            await peer.ExpectRequestAsync(ct);
            await peer.DrainAsync(ct); // never answers
        }, Options(idleSeconds: 0.5));
        await using var _ = server;
        await using var __ = client;

        var error = await FailsWithinBoundAsync(() => client.SendAsync(Get(server), CancellationToken.None));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Timeout));
        Assert.That(error.Message, Does.Contain("no reply"));
        Assert.That((await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 1)).Status, Is.EqualTo(RstStatus.Cancel));
    }

    /// <summary>A server that replies, sends 1,000 body bytes and then nothing more; the client's idle timeout is 0.5 s.</summary>
    private Task<(HostileSpdyServer Server, IClientConnection Client)> StartStallingMidBodyAsync() => StartAsync(async (peer, ct) =>
    {
        var request = await peer.ExpectRequestAsync(ct);
        await peer.ReplyAsync(request.Id);
        await peer.DataAsync(request.Id, 1000);
        await peer.DrainAsync(ct); // the rest never comes
    }, Options(idleSeconds: 0.5));

    [Test]
    public async Task ServerStallsMidBody_TimeoutErrorAndStreamCancelled()
    {
        var (server, client) = await StartStallingMidBodyAsync();
        await using var _ = server;
        await using var __ = client;

        await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);
        var error = await FailsWithinBoundAsync(() => ReadAllAsync(response));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Timeout));
        Assert.That(error.Message, Does.Contain("mid-response"));
        Assert.That((await ReceivedAsync<RstStreamFrame>(server, r => r.Id == 1)).Status, Is.EqualTo(RstStatus.Cancel));
    }

    [Test]
    public async Task ServerStallsMidBody_ReadAgainAfterTheTimeout_FailsAgainNeverLooksComplete()
    {
        var (server, client) = await StartStallingMidBodyAsync();
        await using var _ = server;
        await using var __ = client;
        await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);
        var buffer = new byte[4096];
        var read = 0;
        while (read < 1000)
        {
            read += await response.Body.ReadAsync(buffer).AsTask().WaitAsync(Bound);
        }

        var first = await FailsWithinBoundAsync(() => response.Body.ReadAsync(buffer).AsTask());

        // A caller that reads again (a retrying wrapper) must not see 0, the end of a complete body.
        var again = await FailsWithinBoundAsync(() => response.Body.ReadAsync(buffer).AsTask());
        Assert.That(first.Kind, Is.EqualTo(ClientErrorKind.Timeout));
        Assert.That(again.Kind, Is.EqualTo(ClientErrorKind.Timeout));
    }

    [Test]
    public async Task ServerSendsHalfAFrameThenStalls_TimeoutError()
    {
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            await peer.ExpectRequestAsync(ct);
            await peer.RawAsync([0x80, (byte)Profile.WireVersion, 0, 2, 0, 0, 0, 40]); // a SYN_REPLY header announcing 40 bytes, then nothing
            await peer.DrainAsync(ct);
        }, Options(idleSeconds: 0.5));
        await using var _ = server;
        await using var __ = client;

        var error = await FailsWithinBoundAsync(() => client.SendAsync(Get(server), CancellationToken.None));

        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Timeout));
    }

    [Test]
    public async Task StalledStream_OtherStreamsOfTheSessionStillComplete()
    {
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var stalled = await peer.ExpectRequestAsync(ct);
            var served = await peer.ExpectRequestAsync(ct);
            await peer.ReplyAsync(stalled.Id);
            await peer.ReplyAsync(served.Id);
            await peer.DataAsync(served.Id, 500, fin: true);
            await peer.DrainAsync(ct);
        }, Options(idleSeconds: 0.5));
        await using var _ = server;
        await using var __ = client;

        var first = client.SendAsync(Get(server, "/stalled"), CancellationToken.None);
        await Task.Delay(50);
        var second = client.SendAsync(Get(server, "/served"), CancellationToken.None);
        await using var stalledResponse = await first.WaitAsync(Bound);
        await using var servedResponse = await second.WaitAsync(Bound);

        Assert.That((await ReadAllAsync(servedResponse).WaitAsync(Bound)).Length, Is.EqualTo(500));
        var error = await FailsWithinBoundAsync(() => ReadAllAsync(stalledResponse));
        Assert.That(error.Kind, Is.EqualTo(ClientErrorKind.Timeout));
    }

    /// <summary>The idle timeout is per wait, not per response: a body that keeps coming, slower than the timeout in
    /// total, is read to the end.</summary>
    [Test]
    public async Task SlowBodyThatKeepsProgressing_IsNotCutByTheIdleTimeout()
    {
        var (server, client) = await StartAsync(async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            await peer.ReplyAsync(request.Id);
            for (var i = 0; i < 5; i++)
            {
                await Task.Delay(250, ct);
                await peer.DataAsync(request.Id, 100, fin: i == 4);
            }

            await peer.DrainAsync(ct);
        }, Options(idleSeconds: 0.5));
        await using var _ = server;
        await using var __ = client;

        await using var response = await client.SendAsync(Get(server), CancellationToken.None).WaitAsync(Bound);
        var body = await ReadAllAsync(response).WaitAsync(Bound);

        Assert.That(body.Length, Is.EqualTo(500));
    }
}
