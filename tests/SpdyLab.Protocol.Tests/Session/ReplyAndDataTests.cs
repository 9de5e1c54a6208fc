using System.Text;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Session;

/// <summary>SpdyStream.WriteReplyAndDataAsync: a small response queued in one call (the server's hot path).</summary>
[CancelAfter(20000)]
public class ReplyAndDataTests
{
    public static readonly SpdyVersion[] AllVersions = [SpdyVersion.Spdy2, SpdyVersion.Spdy3, SpdyVersion.Spdy31];

    private static async Task<Harness> StartAsync(SpdyVersion version, Func<SpdyStream, SpdySession, Task> handler)
    {
        var ready = new TaskCompletionSource<SpdySession>(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = await Harness.StartAsync(version, SpdyRole.Server, async stream => await handler(stream, await ready.Task));
        ready.SetResult(h.Session);
        return h;
    }

    private static async Task<(PeerFrame Reply, string Body)> ReadResponseAsync(SpdyTestPeer peer, int streamId)
    {
        var reply = await peer.ExpectAsync(f => f.Type == PeerFrame.SynReply && f.StreamId == streamId, $"SYN_REPLY {streamId}");
        var body = new List<byte>();
        while (true)
        {
            var frame = await peer.ExpectAsync(f => !f.IsControl && f.StreamId == streamId, $"DATA on stream {streamId}");
            body.AddRange(frame.Payload);
            if (frame.Fin)
            {
                return (reply, Encoding.ASCII.GetString(body.ToArray()));
            }
        }
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task WriteReplyAndDataAsync_SmallBody_ReplyThenBodyWithFin_CallerBufferReusableAtOnce(SpdyVersion version)
    {
        await using var h = await StartAsync(version, async (stream, session) =>
        {
            var path = session.Profile.ReadRequest(stream.Headers).Path!;
            var buffer = Encoding.ASCII.GetBytes($"small body of {path}");
            await stream.WriteReplyAndDataAsync(session.Profile.CreateResponseHeaders(200, null, [new("content-type", "text/plain")]), buffer, endStream: true);
            // The body was copied: overwriting the caller's buffer now must not change what goes out.
            Array.Fill(buffer, (byte)'x');
        });

        for (var id = 1; id <= 5; id += 2)
        {
            await h.Peer.SendAsync(PeerFrames.SynStream(version, id, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request($"/r{id}"))));
        }

        // Responses may interleave: read until every stream's FIN, checking each stream's reply precedes its body.
        var replies = new Dictionary<int, PeerFrame>();
        var bodies = new Dictionary<int, string>();
        while (bodies.Count < 3)
        {
            var frame = await h.Peer.ExpectAsync(f => f.Type == PeerFrame.SynReply || !f.IsControl, "SYN_REPLY or DATA");
            if (frame.IsControl)
            {
                replies.Add(frame.StreamId, frame);
                continue;
            }

            Assert.That(replies, Does.ContainKey(frame.StreamId), $"DATA on stream {frame.StreamId} before its SYN_REPLY");
            Assert.That(frame.Fin, Is.True, "a small body is one DATA frame with FIN");
            bodies.Add(frame.StreamId, Encoding.ASCII.GetString(frame.Payload));
        }

        for (var id = 1; id <= 5; id += 2)
        {
            Assert.Multiple(() =>
            {
                Assert.That(replies[id].Header(h.Peer.StatusName), Is.EqualTo("200 OK"));
                Assert.That(replies[id].Header("content-type"), Is.EqualTo("text/plain"));
                Assert.That(bodies[id], Is.EqualTo($"small body of /r{id}"));
            });
        }
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task WriteReplyAndDataAsync_LargeBody_SentWholeAfterTheReply(SpdyVersion version)
    {
        var large = new string('b', SpdySession.SmallBodyCopyLimit + 1000);
        await using var h = await StartAsync(version, async (stream, session) =>
            await stream.WriteReplyAndDataAsync(session.Profile.CreateResponseHeaders(200), Encoding.ASCII.GetBytes(large), endStream: true));
        if (version == SpdyVersion.Spdy31)
        {
            await h.Peer.SendAsync(PeerFrames.WindowUpdate(version, 0, 1 << 20));
        }

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/large"))));

        var (_, body) = await ReadResponseAsync(h.Peer, 1);
        Assert.That(body, Is.EqualTo(large));
    }

    [TestCaseSource(nameof(AllVersions))]
    public async Task WriteReplyAndDataAsync_SecondReply_Throws(SpdyVersion version)
    {
        var second = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartAsync(version, async (stream, session) =>
        {
            await stream.WriteReplyAndDataAsync(session.Profile.CreateResponseHeaders(200), "one"u8.ToArray(), endStream: true);
            try
            {
                await stream.WriteReplyAndDataAsync(session.Profile.CreateResponseHeaders(200), "two"u8.ToArray(), endStream: true);
                second.SetResult(null);
            }
            catch (Exception e)
            {
                second.SetResult(e);
            }
        });

        await h.Peer.SendAsync(PeerFrames.SynStream(version, 1, 0, 0, SpdyFlags.Fin, h.Peer.Block(h.Peer.Request("/twice"))));

        var (_, body) = await ReadResponseAsync(h.Peer, 1);
        Assert.Multiple(async () =>
        {
            Assert.That(body, Is.EqualTo("one"));
            Assert.That(await second.Task, Is.InstanceOf<InvalidOperationException>());
        });
    }
}
