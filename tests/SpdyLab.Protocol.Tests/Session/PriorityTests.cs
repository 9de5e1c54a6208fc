using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Session;

/// <summary>The output scheduler: strict across priority levels, round-robin within one, bounded DATA chunks.</summary>
[CancelAfter(20000)]
public class PriorityTests
{
    public static readonly SpdyVersion[] AllVersions = ServerSessionTests.AllVersions;

    /// <summary>Starts a server whose handlers queue a body per stream and report when it is queued; the peer
    /// opens its windows wide so only priorities decide the order.</summary>
    private static async Task<Harness> StartAsync(SpdyVersion version, Dictionary<string, int> bodySizes, Dictionary<string, TaskCompletionSource> queued)
    {
        var ready = new TaskCompletionSource<SpdySession>(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await Harness.StartAsync(version, SpdyRole.Server, async stream =>
        {
            var session = await ready.Task;
            var path = session.Profile.ReadRequest(stream.Headers).Path!;
            await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200), endStream: false);
            var write = stream.WriteDataAsync(new byte[bodySizes[path]], endStream: true);
            queued[path].SetResult();
            await write;
        }, sessionOutputPause: 32 * 1024);
        ready.SetResult(h.Session);
        if (version != SpdyVersion.Spdy2)
        {
            await h.Peer.SendAsync(PeerFrames.Settings(version, 0, ((int)SettingsId.InitialWindowSize, 0, 64 << 20)));
        }

        if (version == SpdyVersion.Spdy31)
        {
            await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 0, 64 << 20));
        }

        return h;
    }

    private static async Task<List<PeerFrame>> ReadDataUntilFinsAsync(SpdyTestPeer peer, int fins)
    {
        var frames = new List<PeerFrame>();
        while (frames.Count(f => f.Fin) < fins)
        {
            frames.Add(await peer.ExpectAsync(f => !f.IsControl, "DATA"));
        }

        return frames;
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Output_LargeLowPriorityBody_DoesNotHoldBackHighPriority(SpdyVersion version)
    {
        var lowest = SpdyProtocolProfile.For(version).LowestPriority;
        var queued = new Dictionary<string, TaskCompletionSource> { ["/big"] = new(), ["/small"] = new() };
        await using var h = await StartAsync(version, new() { ["/big"] = 2 << 20, ["/small"] = 20_000 }, queued);

        // The big low-priority body starts first and fills the connection; then the urgent request arrives.
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, lowest, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/big"))));
        await queued["/big"].Task.WaitAsync(TimeSpan.FromSeconds(5));
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/small"))));
        await queued["/small"].Task.WaitAsync(TimeSpan.FromSeconds(5));

        var frames = await ReadDataUntilFinsAsync(h.Peer, 2);
        var smallFinIndex = frames.FindIndex(f => f.StreamId == 3 && f.Fin);
        var bigBytesBeforeSmallFin = frames.Take(smallFinIndex).Where(f => f.StreamId == 1).Sum(f => f.Payload.Length);
        Assert.Multiple(() =>
        {
            Assert.That(frames.Last().StreamId, Is.EqualTo(1), "the big body ends last");
            Assert.That(bigBytesBeforeSmallFin, Is.LessThan(256 * 1024), "only what was already buffered went before the urgent body");
            Assert.That(frames.Max(f => f.Payload.Length), Is.LessThanOrEqualTo(16384), "DATA frames are bounded chunks");
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Output_SamePriority_TakesTurns(SpdyVersion version)
    {
        var queued = new Dictionary<string, TaskCompletionSource> { ["/a"] = new(), ["/b"] = new() };
        await using var h = await StartAsync(version, new() { ["/a"] = 512 * 1024, ["/b"] = 512 * 1024 }, queued);

        await h.Peer.SendAsync(
            PeerFrames.SynStream(version, 1, 0, 1, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/a"))),
            PeerFrames.SynStream(version, 3, 0, 1, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/b"))));
        await Task.WhenAll(queued.Values.Select(t => t.Task)).WaitAsync(TimeSpan.FromSeconds(5));

        var frames = await ReadDataUntilFinsAsync(h.Peer, 2);
        // Once both are queued, neither stream sends more than one chunk in a row until the other finishes.
        var firstFin = frames.FindIndex(f => f.Fin);
        var tail = frames.Take(firstFin).SkipWhile(f => f.StreamId == frames[0].StreamId).ToList();
        var longestRun = 0;
        var run = 0;
        for (var i = 0; i < tail.Count; i++)
        {
            run = i > 0 && tail[i].StreamId == tail[i - 1].StreamId ? run + 1 : 1;
            longestRun = Math.Max(longestRun, run);
        }

        Assert.Multiple(() =>
        {
            Assert.That(tail.Count, Is.GreaterThan(40));
            Assert.That(longestRun, Is.LessThanOrEqualTo(1));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task Output_ControlFrames_OvertakeQueuedData(SpdyVersion version)
    {
        var queued = new Dictionary<string, TaskCompletionSource> { ["/big"] = new() };
        await using var h = await StartAsync(version, new() { ["/big"] = 4 << 20 }, queued);
        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/big"))));
        await queued["/big"].Task.WaitAsync(TimeSpan.FromSeconds(5));

        await h.Peer.SendAsync(PeerFrames.Ping(version, 77));
        // Let the read loop take the PING in before the peer starts reading (the output is blocked until then).
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (h.Session.Counters.PingsAnswered == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        await h.Peer.ExpectAsync(f => f.Type == PeerFrame.Ping, "PING echo");

        var dataBefore = h.Peer.Seen.Where(f => !f.IsControl).Sum(f => f.Payload.Length);
        Assert.That(dataBefore, Is.LessThan(256 * 1024), "the echo did not wait behind the 4 MB body");
    }
}
