using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Session;

/// <summary>A client session and a server session of this engine talking to each other over in-memory pipes.</summary>
[CancelAfter(30000)]
public class EngineToEngineTests
{
    public static readonly SpdyVersion[] AllVersions = ServerSessionTests.AllVersions;

    private sealed class Pair : IAsyncDisposable
    {
        public required SpdySession Client { get; init; }

        public required SpdySession Server { get; init; }

        public required Task ClientRun { get; init; }

        public required Task ServerRun { get; init; }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    private static byte[] BodyFor(string path)
    {
        var size = int.Parse(path.TrimStart('/').Split('?')[0], System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[size];
        new Random(size).NextBytes(body);
        return body;
    }

    private static Pair Connect(SpdyVersion version, Func<SpdyStream, SpdySession, Task> serverHandler, Func<SpdyStream, Task>? onPush = null, int chunk = 16384)
    {
        var toServer = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var toClient = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var ready = new TaskCompletionSource<SpdySession>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = new SpdySession(new DuplexPipe(toServer.Reader, toClient.Writer), new SpdySessionOptions { Version = version, Role = SpdyRole.Server, DataChunkSize = chunk },
            async stream => await serverHandler(stream, await ready.Task));
        ready.SetResult(server);
        var client = new SpdySession(new DuplexPipe(toClient.Reader, toServer.Writer), new SpdySessionOptions { Version = version, Role = SpdyRole.Client }, onPush);
        return new Pair { Client = client, Server = server, ClientRun = client.RunAsync(), ServerRun = server.RunAsync() };
    }

    private static async Task ServeBodies(SpdyStream stream, SpdySession session)
    {
        var request = session.Profile.ReadRequest(stream.Headers);
        var upload = await ClientSessionTests.ReadToEndAsync(stream.Input);
        var body = request.Method == "POST" ? SHA256.HashData(upload) : BodyFor(request.Path!);
        await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200, null, [new("x-length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))]), endStream: false);
        await stream.WriteDataAsync(body, endStream: true);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task OpenStreamAsync_SixtyConcurrentRequests_AllBodiesArriveIntact(SpdyVersion version)
    {
        await using var pair = Connect(version, ServeBodies);
        var sizes = Enumerable.Range(0, 60).Select(i => i switch { 0 => 1, 1 => 300_000, _ => (i * 7919) % 120_000 + 5 }).ToList();

        var results = await Task.WhenAll(sizes.Select(async (size, i) =>
        {
            var headers = pair.Client.Profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", $"/{size}"));
            var stream = await pair.Client.OpenStreamAsync(headers, i % (pair.Client.Profile.LowestPriority + 1), endStream: true);
            var status = pair.Client.Profile.ReadResponse(await stream.ResponseHeadersAsync)!.Status;
            var body = await ClientSessionTests.ReadToEndAsync(stream.Input);
            return (status, same: body.AsSpan().SequenceEqual(BodyFor($"/{size}")));
        }));

        Assert.Multiple(() =>
        {
            Assert.That(results.All(r => r.status == 200 && r.same), Is.True);
            Assert.That(pair.Client.Counters.StreamsOpenedLocally, Is.EqualTo(60));
            Assert.That(pair.Server.Counters.DataBytesSent, Is.EqualTo(sizes.Sum()));
            // The paper's header compression: repeated request headers shrink to a fraction.
            Assert.That(pair.Client.Counters.HeaderBytesSentCompressed, Is.LessThan(pair.Client.Counters.HeaderBytesSentRaw / 4));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task WriteDataAsync_LargeUpload_ArrivesIntactThroughFlowControl(SpdyVersion version)
    {
        await using var pair = Connect(version, ServeBodies);
        var upload = new byte[700_000];
        new Random(3).NextBytes(upload);

        var headers = pair.Client.Profile.CreateRequestHeaders(new SpdyRequestHead("POST", "https", "example.test", "/upload"));
        var stream = await pair.Client.OpenStreamAsync(headers, 0, endStream: false);
        await stream.WriteDataAsync(upload, endStream: true);
        var digest = await ClientSessionTests.ReadToEndAsync(stream.Input);

        Assert.That(digest, Is.EqualTo(SHA256.HashData(upload)));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task PushAsync_ClientReceivesThePushedResource(SpdyVersion version)
    {
        var pushed = new TaskCompletionSource<(string Path, string Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pair = Connect(version, async (stream, session) =>
        {
            await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200), endStream: false);
            var push = await session.PushAsync(stream, session.Profile.CreatePushHeaders("https", "example.test", "/app.js", 200, [new("content-type", "text/javascript")]), 2);
            await stream.WriteDataAsync("<script src=/app.js>"u8.ToArray(), endStream: true);
            await push.WriteDataAsync("run()"u8.ToArray(), endStream: true);
        }, onPush: async stream =>
        {
            var body = await ClientSessionTests.ReadToEndAsync(stream.Input);
            pushed.SetResult((stream.Headers.Get(stream.Headers.Contains(":path") ? ":path" : "url")!, Encoding.ASCII.GetString(body)));
        });

        var stream = await pair.Client.OpenStreamAsync(pair.Client.Profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", "/")), 0, true);
        await ClientSessionTests.ReadToEndAsync(stream.Input);
        var (path, body) = await pushed.Task.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That((path.EndsWith("/app.js", StringComparison.Ordinal), body), Is.EqualTo((true, "run()")));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task RentHeaderList_SequentialReplies_ListsComeBackAndEachReplyCarriesOnlyItsOwnHeaders(SpdyVersion version)
    {
        var rented = new System.Collections.Concurrent.ConcurrentBag<HeaderList>();
        await using var pair = Connect(version, async (stream, session) =>
        {
            var path = session.Profile.ReadRequest(stream.Headers).Path!;
            var list = session.RentHeaderList();
            rented.Add(list);
            // Even requests get one more header, so an odd reply in a recycled list would show what the last one left.
            KeyValuePair<string, string>[] extra = path.EndsWith('0') || path.EndsWith('2') || path.EndsWith('4') || path.EndsWith('6') || path.EndsWith('8')
                ? [new("x-path", path), new("x-even", "1")]
                : [new("x-path", path)];
            await stream.WriteReplyAndDataAsync(session.Profile.AddResponseHeaders(list, 200, null, extra), "ok"u8.ToArray(), endStream: true);
        });

        for (var i = 0; i < 10; i++)
        {
            var stream = await pair.Client.OpenStreamAsync(pair.Client.Profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", $"/r{i}")), 0, true);
            var headers = await stream.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(5));
            await ClientSessionTests.ReadToEndAsync(stream.Input);

            Assert.That(headers.Get("x-path"), Is.EqualTo($"/r{i}"));
            Assert.That(headers.Contains("x-even"), Is.EqualTo(i % 2 == 0), $"reply {i}");
            Assert.That(pair.Client.Profile.ReadResponse(headers)!.Status, Is.EqualTo(200));
        }

        // The writer gave the lists back: ten sequential replies needed fewer than ten lists.
        Assert.That(rented.Distinct().Count(), Is.LessThan(10));
    }

    [Test]
    public async Task RentHeaderList_ReplyWithMoreNamesThanTheCap_NotKeptForReuse()
    {
        await using var pair = Connect(SpdyVersion.Spdy31, async (stream, session) =>
        {
            var path = session.Profile.ReadRequest(stream.Headers).Path!;
            var extra = Enumerable.Range(0, path == "/big" ? SpdySession.MaxRecycledHeaderNames + 1 : 1)
                .Select(i => new KeyValuePair<string, string>($"x-h{i}", "v")).ToList();
            await stream.WriteReplyAndDataAsync(session.Profile.AddResponseHeaders(session.RentHeaderList(), 200, null, extra), "ok"u8.ToArray(), endStream: true);
        });

        async Task<int> IdleListsAfterAsync(string path)
        {
            var stream = await pair.Client.OpenStreamAsync(pair.Client.Profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", path)), 0, true);
            await stream.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(5));
            await ClientSessionTests.ReadToEndAsync(stream.Input);
            return pair.Server.IdleHeaderListCount; // the writer gives a list back before flushing the frame that carried it
        }

        Assert.That(await IdleListsAfterAsync("/small"), Is.EqualTo(1));
        Assert.That(await IdleListsAfterAsync("/big"), Is.EqualTo(0), "the one idle list was rented for /big and not given back");
    }

    [Test]
    public async Task RentHeaderList_UsedToOpenAStream_StaysTheStreamsHeaders()
    {
        await using var pair = Connect(SpdyVersion.Spdy31, async (stream, session) =>
            await stream.WriteReplyAndDataAsync(session.Profile.AddResponseHeaders(session.RentHeaderList(), 200, null, []), "ok"u8.ToArray(), endStream: true));
        var rented = pair.Client.RentHeaderList();
        foreach (var header in pair.Client.Profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", "/kept")))
        {
            rented.Add(header.Key, header.Value);
        }

        var stream = await pair.Client.OpenStreamAsync(rented, 0, true);
        await stream.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(5));
        await ClientSessionTests.ReadToEndAsync(stream.Input);

        // The writer serialized the SYN_STREAM long ago; the list was not taken back and cleared under the stream.
        Assert.That(pair.Client.Profile.ReadRequest(stream.Headers).Path, Is.EqualTo("/kept"));
        Assert.That(pair.Client.IdleHeaderListCount, Is.Zero);
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task GoAwayAsync_FromClient_EndsBothSessionsAfterInFlightStreams(SpdyVersion version)
    {
        await using var pair = Connect(version, ServeBodies);
        var stream = await pair.Client.OpenStreamAsync(pair.Client.Profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", "/100000")), 0, true);

        await pair.Client.GoAwayAsync();
        var body = await ClientSessionTests.ReadToEndAsync(stream.Input);

        await Task.WhenAll(pair.ClientRun, pair.ServerRun).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(body.Length, Is.EqualTo(100_000));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task PingAsync_BetweenEngines_MeasuresRoundTrip(SpdyVersion version)
    {
        await using var pair = Connect(version, ServeBodies);

        var fromClient = await pair.Client.PingAsync();
        var fromServer = await pair.Server.PingAsync();

        Assert.That(fromClient + fromServer, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(pair.Server.Counters.PingsAnswered + pair.Client.Counters.PingsAnswered, Is.EqualTo(2));
    }
}
