using System.Buffers;
using System.Security.Cryptography;
using SpdyLab.Client.Tests.Support;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Client.Tests.Spdy;

/// <summary>The SPDY client role against a scripted loopback server, for each version.</summary>
[TestFixture(ClientProtocol.Spdy31)]
[TestFixture(ClientProtocol.Spdy3)]
[TestFixture(ClientProtocol.Spdy2)]
[CancelAfter(20_000)]
public sealed class SpdyClientConnectionTests(ClientProtocol protocol)
{
    private ScriptedSpdyServer _server = null!;

    private SpdyProtocolProfile Profile => SpdyProtocolProfile.ForAlpn(protocol.AlpnId())!;

    [SetUp]
    public void StartServer() => _server = new ScriptedSpdyServer(Profile);

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private Task<IClientConnection> ConnectAsync() =>
        ClientConnector.ConnectAsync(_server.Origin, new ClientOptions { Protocol = protocol }, CancellationToken.None);

    private static async Task<byte[]> ReadAllAsync(ClientResponse response)
    {
        using var memory = new MemoryStream();
        await response.Body.CopyToAsync(memory);
        return memory.ToArray();
    }

    [Test]
    public async Task SendAsync_Get_SendsVersionsRequestHeadersAndReturnsResponse()
    {
        await using var connection = await ConnectAsync();

        await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/bytes/1000")) { Headers = [new("X-Test", "yes")] }, CancellationToken.None);
        var body = await ReadAllAsync(response);

        Assert.That(connection.Protocol, Is.EqualTo(protocol));
        Assert.That(response.Status, Is.EqualTo(200));
        Assert.That(response.GetHeader("content-type"), Is.EqualTo("application/octet-stream"));
        Assert.That(response.Headers.Select(h => h.Key), Has.None.StartsWith(":").And.None.EqualTo("status"));
        Assert.That(body, Is.EqualTo(ScriptedSpdyServer.Bytes(1000)));
        var request = _server.Requests.Single();
        var head = Profile.ReadRequest(request.Headers);
        Assert.That((head.Method, head.Path, head.Scheme, head.Host), Is.EqualTo(("GET", "/bytes/1000", "http", $"127.0.0.1:{_server.Port}")));
        Assert.That(request.Headers.Get("x-test"), Is.EqualTo("yes"));
        Assert.That(request.IsFin, Is.True, "a GET without body is sent with FIN on its SYN_STREAM");
        Assert.That(request.Id, Is.EqualTo(1));
    }

    [Test]
    public async Task SendAsync_SixtyConcurrentRequests_OneConnectionOddIncreasingStreamIds()
    {
        await using var connection = await ConnectAsync();

        var tasks = Enumerable.Range(1, 60).Select(async i =>
        {
            await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, $"/bytes/{i * 100}")), CancellationToken.None);
            return (i, Body: await ReadAllAsync(response));
        });
        var results = await Task.WhenAll(tasks);

        Assert.That(results.All(r => r.Body.AsSpan().SequenceEqual(ScriptedSpdyServer.Bytes(r.i * 100))), Is.True);
        Assert.That(_server.Connections, Is.EqualTo(1));
        Assert.That(_server.Requests.Select(r => r.Id), Is.EqualTo(Enumerable.Range(0, 60).Select(i => 1 + (2 * i))));
    }

    [Test]
    public async Task SendAsync_ServerLimitsConcurrentStreams_NeverMoreOpenThanAllowed()
    {
        var open = 0;
        var maxOpen = 0;
        _server.OnConnect = session => session.SettingsAsync(new SettingsEntry(SettingsId.MaxConcurrentStreams, SettingsEntryFlags.None, 2));
        _server.OnRequest = async (session, request) =>
        {
            var now = Interlocked.Increment(ref open);
            InterlockedMax(ref maxOpen, now);
            await Task.Delay(30);
            Interlocked.Decrement(ref open); // before the FIN goes out: the client may reuse the slot right after it
            await ScriptedSpdyServer.DefaultResponseAsync(session, request);
        };
        await using var connection = await ConnectAsync();
        await Task.Delay(100); // let the SETTINGS frame arrive before the burst

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(async i =>
        {
            await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, $"/bytes/{i}")), CancellationToken.None);
            return (await ReadAllAsync(response)).Length;
        }));

        Assert.That(results, Is.EqualTo(Enumerable.Range(1, 8)));
        Assert.That(maxOpen, Is.LessThanOrEqualTo(2));
        Assert.That(_server.Requests, Has.Count.EqualTo(8));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [TestCase(0)]
    [TestCase(7)]
    public async Task SendAsync_Priority_IsScaledToTheVersionsRange(int priority)
    {
        await using var connection = await ConnectAsync();

        await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/bytes/1")) { Priority = priority }, CancellationToken.None);

        Assert.That(_server.Requests.Single().Priority, Is.EqualTo(priority == 0 ? 0 : Profile.LowestPriority));
    }

    [Test]
    public async Task SendAsync_PostWithBody_SendsContentLengthAndDataWithFin()
    {
        var payload = RandomNumberGenerator.GetBytes(20_000);
        await using var connection = await ConnectAsync();
        _server.OnRequest = async (session, request) =>
        {
            // Answer once the whole body arrived (the last DATA frame of this stream has FIN).
            for (var i = 0; i < 200 && !_server.Received.OfType<DataFrame>().Any(d => d.Id == request.Id && d.IsFin); i++)
            {
                await Task.Delay(10);
            }

            await session.ReplyAsync(request.Id, 201, [], "ok"u8.ToArray());
        };

        await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/upload")) { Method = "POST", Body = payload }, CancellationToken.None);

        Assert.That(response.Status, Is.EqualTo(201));
        var request = _server.Requests.Single();
        Assert.That(request.IsFin, Is.False);
        Assert.That(request.Headers.Get("content-length"), Is.EqualTo("20000"));
        var data = _server.Received.OfType<DataFrame>().Where(d => d.Id == request.Id).ToList();
        Assert.That(data.SelectMany(d => d.Data.ToArray()).ToArray(), Is.EqualTo(payload));
        Assert.That(data[^1].IsFin, Is.True);
    }

    [Test]
    public async Task Pushed_ServerPushesAResource_ItIsInThePushTableWithUrlStatusAndBody()
    {
        var css = "body { color: red }"u8.ToArray();
        _server.OnRequest = async (session, request) =>
        {
            await session.PushAsync(request.Id, 2, "/style.css", css, host: $"127.0.0.1:{_server.Port}");
            await session.ReplyAsync(request.Id, 200, [], "<html>"u8.ToArray());
        };
        await using var connection = await ConnectAsync();

        await using (var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/")), CancellationToken.None))
        {
            await ReadAllAsync(response);
        }

        var pushed = (await connection.WaitForPushesAsync(CancellationToken.None)).Single();
        Assert.That(pushed.Url, Is.EqualTo(new Uri(_server.Origin, "/style.css")));
        Assert.That((pushed.StreamId, pushed.AssociatedStreamId, pushed.Status), Is.EqualTo((2, 1, 200)));
        Assert.That(pushed.Body, Is.EqualTo(css));
        Assert.That(pushed.Error, Is.Null);
        Assert.That(pushed.Headers.Any(h => h.Key == "content-type" && h.Value == "text/css"), Is.True);
    }

    [Test]
    public async Task SendAsync_UrlThatWasPushed_IsAnsweredFromThePushWithoutARequest()
    {
        var css = "p { margin: 0 }"u8.ToArray();
        _server.OnRequest = async (session, request) =>
        {
            await session.PushAsync(request.Id, 2, "/style.css", css, host: $"127.0.0.1:{_server.Port}");
            await session.ReplyAsync(request.Id, 200, [], "<html>"u8.ToArray());
        };
        await using var connection = await ConnectAsync();
        await using (var page = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/")), CancellationToken.None))
        {
            await ReadAllAsync(page);
        }

        await connection.WaitForPushesAsync(CancellationToken.None);

        await using var style = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/style.css")), CancellationToken.None);

        Assert.That(style.FromPush, Is.True);
        Assert.That((style.Status, style.StreamId), Is.EqualTo((200, 2)));
        Assert.That(await ReadAllAsync(style), Is.EqualTo(css));
        Assert.That(_server.Requests, Has.Count.EqualTo(1), "no SYN_STREAM for the pushed URL");
    }

    [Test]
    public async Task SendAsync_ServerResetsStream_ThrowsStreamErrorNamingTheStatus()
    {
        _server.OnRequest = (session, request) => session.ResetAsync(request.Id, RstStatus.RefusedStream);
        await using var connection = await ConnectAsync();

        var error = await Assert.ThrowsAsync<SpdyClientException>(() => connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/")), CancellationToken.None));

        Assert.That(error!.Kind, Is.EqualTo(ClientErrorKind.Stream));
        Assert.That(error.Message, Does.Contain("REFUSED_STREAM"));
    }

    [Test]
    public async Task SendAsync_ResetOneOfTwoStreams_TheOtherCompletes()
    {
        _server.OnRequest = (session, request) => request.Id == 1
            ? session.ResetAsync(request.Id, RstStatus.InternalError)
            : ScriptedSpdyServer.DefaultResponseAsync(session, request);
        await using var connection = await ConnectAsync();

        var first = connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/bytes/10")), CancellationToken.None);
        await Task.Delay(50); // stream 1 is opened first
        var second = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/bytes/10")), CancellationToken.None);

        await Assert.ThrowsAsync<SpdyClientException>(() => first);
        Assert.That(await ReadAllAsync(second), Has.Length.EqualTo(10));
        await second.DisposeAsync();
    }

    [Test]
    public async Task SendAsync_ConnectionDropsMidRequest_ThrowsProtocolErrorSayingSessionEnded()
    {
        _server.OnRequest = (session, _) =>
        {
            session.Abort();
            return Task.CompletedTask;
        };
        await using var connection = await ConnectAsync();

        var error = await Assert.ThrowsAsync<SpdyClientException>(() => connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/")), CancellationToken.None));

        Assert.That(error!.Kind, Is.EqualTo(ClientErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("session"));
    }

    [Test]
    public async Task SendAsync_ServerSendsGarbage_ThrowsProtocolError()
    {
        // A control frame of an unknown version 9 with a bogus length: the session cannot go on.
        _server.OnRequest = (session, _) => session.RawAsync([0x80, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xFF, 0xFF]);
        await using var connection = await ConnectAsync();

        var error = await Assert.ThrowsAsync<SpdyClientException>(() => connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/")), CancellationToken.None));

        Assert.That(error!.Kind, Is.EqualTo(ClientErrorKind.Protocol).Or.EqualTo(ClientErrorKind.Stream));
    }

    [Test]
    public async Task Dispose_BodyNotRead_CancelsTheStream()
    {
        _server.OnRequest = (session, request) => session.ReplyAsync(request.Id, 200, [], ScriptedSpdyServer.Bytes(30_000));
        await using var connection = await ConnectAsync();

        var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/big")), CancellationToken.None);
        await response.DisposeAsync();
        await connection.DisposeAsync();
        for (var i = 0; i < 100 && !_server.Received.OfType<GoAwayFrame>().Any(); i++)
        {
            await Task.Delay(20); // the server reads what the client sent last asynchronously
        }

        // Either the body had fully arrived (nothing to cancel) or the client sent RST_STREAM CANCEL; never an error status.
        var resets = _server.Received.OfType<RstStreamFrame>().ToList();
        Assert.That(resets.All(r => r.Id == 1 && r.Status == RstStatus.Cancel), Is.True, string.Join(", ", resets));
        Assert.That(_server.Received.OfType<GoAwayFrame>().Count(), Is.EqualTo(1), "disposing sends one GOAWAY");
    }

    /// <summary>node-spdy's order (docs/client.md quirk 9, seen in -v traces): the whole body, then RST_STREAM
    /// INVALID_STREAM (answer to a WINDOW_UPDATE of ours that crossed the last DATA), then the empty FIN frame.</summary>
    private async Task ServeBodyThenResetThenFinAsync(ScriptedSpdyServer.Session session, SynStreamFrame request, int announced, int sent, TaskCompletionSource resetSent)
    {
        await session.ReplyHeadersAsync(request.Id, 200, [new("content-length", announced.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var body = ScriptedSpdyServer.Bytes(sent);
        for (var offset = 0; offset < sent; offset += 8192)
        {
            await session.DataAsync(request.Id, body[offset..Math.Min(sent, offset + 8192)], fin: false);
        }

        await session.ResetAsync(request.Id, RstStatus.InvalidStream);
        await session.DataAsync(request.Id, [], fin: true);
        resetSent.TrySetResult();
    }

    [TestCase(40_000)]
    [TestCase(100)]
    public async Task Body_ResetAfterTheWholeAnnouncedBodyBeforeFin_BodyIsDeliveredComplete(int size)
    {
        var resetSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.OnRequest = (session, request) => ServeBodyThenResetThenFinAsync(session, request, size, size, resetSent);
        await using var connection = await ConnectAsync();

        await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/late-reset")), CancellationToken.None);
        await resetSent.Task;
        await Task.Delay(200); // the client's read loop takes in the RST_STREAM before the body is read
        var body = await ReadAllAsync(response);

        Assert.That(body, Is.EqualTo(ScriptedSpdyServer.Bytes(size)));
    }

    [Test]
    public async Task Body_ResetBeforeTheWholeAnnouncedBody_ReadFailsWithStreamError()
    {
        var resetSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.OnRequest = (session, request) => ServeBodyThenResetThenFinAsync(session, request, 40_000, 20_000, resetSent);
        await using var connection = await ConnectAsync();

        await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/cut-short")), CancellationToken.None);
        await resetSent.Task;
        await Task.Delay(200);

        var error = await Assert.ThrowsAsync<SpdyClientException>(() => ReadAllAsync(response));
        Assert.That(error!.Kind, Is.EqualTo(ClientErrorKind.Stream));
        Assert.That(error.Message, Does.Contain("INVALID_STREAM"));
    }

    [Test]
    public async Task Body_ResetArrivesAfterThePeersFin_UnreadDataIsStillDelivered()
    {
        var resetSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.OnRequest = async (session, request) =>
        {
            await session.ReplyAsync(request.Id, 200, [], ScriptedSpdyServer.Bytes(60_000));
            await session.ResetAsync(request.Id, RstStatus.InvalidStream);
            resetSent.TrySetResult();
        };
        await using var connection = await ConnectAsync();

        await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/reset-after-fin")), CancellationToken.None);
        await resetSent.Task;
        await Task.Delay(200);
        var body = await ReadAllAsync(response);

        Assert.That(body, Is.EqualTo(ScriptedSpdyServer.Bytes(60_000)));
    }
    // ------------------------------------------------------------------ the per-request objects (session 5)

    [Test]
    public async Task Body_ReadInPiecesSmallerThanAFrame_BytesIntactThenZeroOnEveryLaterRead()
    {
        _server.OnRequest = async (session, request) =>
        {
            await session.ReplyHeadersAsync(request.Id, 200, [new("content-length", "20000")]);
            var body = ScriptedSpdyServer.Bytes(20_000);
            await session.DataAsync(request.Id, body[..7000], fin: false);
            await Task.Delay(20); // a read has to wait for the rest
            await session.DataAsync(request.Id, body[7000..], fin: true);
        };
        await using var connection = await ConnectAsync();

        await using var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/pieces")), CancellationToken.None);
        using var collected = new MemoryStream();
        var piece = new byte[333];
        int read;
        while ((read = await response.Body.ReadAsync(piece)) > 0)
        {
            collected.Write(piece, 0, read);
        }

        Assert.That(collected.ToArray(), Is.EqualTo(ScriptedSpdyServer.Bytes(20_000)));
        Assert.That(await response.Body.ReadAsync(piece), Is.Zero);
        Assert.That(response.Body.Read(piece, 0, piece.Length), Is.Zero);
    }

    [Test]
    public async Task SendAsync_ManyRequestsReadDisposedEarlyOrReset_NoneLeftInTheIdleWatchdog()
    {
        _server.OnRequest = (session, request) =>
        {
            var path = _server.Profile.ReadRequest(request.Headers).Path!;
            return path.StartsWith("/reset", StringComparison.Ordinal)
                ? session.ResetAsync(request.Id, RstStatus.InternalError)
                : ScriptedSpdyServer.DefaultResponseAsync(session, request);
        };
        await using var connection = await ConnectAsync();
        var spdy = (SpdyLab.Client.Spdy.SpdyClientConnection)connection;

        var tasks = Enumerable.Range(0, 90).Select(async i =>
        {
            switch (i % 3)
            {
                case 0: // read to the end
                    await using (var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, $"/bytes/{1000 + i}")), CancellationToken.None))
                    {
                        Assert.That(await ReadAllAsync(response), Is.EqualTo(ScriptedSpdyServer.Bytes(1000 + i)));
                    }

                    break;
                case 1: // disposed without reading
                    await (await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/bytes/50000")), CancellationToken.None)).DisposeAsync();
                    break;
                default: // reset by the server before a reply
                    await Assert.ThatAsync(() => connection.SendAsync(new ClientRequest(new Uri(_server.Origin, $"/reset/{i}")), CancellationToken.None), Throws.InstanceOf<SpdyClientException>());
                    break;
            }
        });
        await Task.WhenAll(tasks);

        Assert.That(spdy.RequestsInFlight, Is.Zero, "every finished request leaves the watchdog (a leak would grow its table per request)");
        await using var last = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/bytes/10")), CancellationToken.None);
        Assert.That(spdy.RequestsInFlight, Is.EqualTo(1));
        Assert.That(await ReadAllAsync(last), Is.EqualTo(ScriptedSpdyServer.Bytes(10)));
        Assert.That(spdy.RequestsInFlight, Is.Zero);
    }

    [Test]
    public async Task Body_ReadWithCancelledToken_ThrowsAndTheStreamCanStillBeDisposed()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.OnRequest = async (session, request) =>
        {
            await session.ReplyHeadersAsync(request.Id, 200, []);
            await release.Task;
            await session.DataAsync(request.Id, ScriptedSpdyServer.Bytes(10), fin: true);
        };
        await using var connection = await ConnectAsync();
        var spdy = (SpdyLab.Client.Spdy.SpdyClientConnection)connection;

        var response = await connection.SendAsync(new ClientRequest(new Uri(_server.Origin, "/slow")), CancellationToken.None);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.CatchAsync<OperationCanceledException>(async () => _ = await response.Body.ReadAsync(new byte[100], giveUp.Token));
        await response.DisposeAsync();
        release.SetResult();

        Assert.That(spdy.RequestsInFlight, Is.Zero);
        for (var i = 0; i < 100 && !_server.Received.OfType<RstStreamFrame>().Any(); i++)
        {
            await Task.Delay(20);
        }

        Assert.That(_server.Received.OfType<RstStreamFrame>().Single().Status, Is.EqualTo(RstStatus.Cancel), "disposing an unfinished body cancels its stream");
    }
}
