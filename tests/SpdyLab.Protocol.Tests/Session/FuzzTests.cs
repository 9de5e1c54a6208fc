using System.Buffers;
using SpdyLab.Protocol.Framing;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Session;

/// <summary>Mutated input never crashes the reader or the engine: only typed protocol errors, and the session ends.</summary>
public class FuzzTests
{
    public static readonly SpdyVersion[] AllVersions = ServerSessionTests.AllVersions;

    private static byte[] ValidConversation(SpdyTestPeer peer, SpdyVersion version) =>
    [
        .. PeerFrames.Settings(version, 0, (4, 0, 100u), (7, 0, 65536u)),
        .. PeerFrames.SynStream(version, 1, 0, 1, 0, peer.Block(peer.Request("/fuzz", "POST"))),
        .. PeerFrames.Data(1, 0, new byte[100]),
        .. PeerFrames.Headers(version, 1, 0, peer.Block(("x-more", "1"))),
        .. PeerFrames.Data(1, SpdyFlags.Fin, new byte[10]),
        .. PeerFrames.Ping(version, 1),
        .. (version == SpdyVersion.Spdy2 ? PeerFrames.Control(2, 5, 0, []) : PeerFrames.WindowUpdate(version, 1, 1000)),
        .. PeerFrames.SynStream(version, 3, 0, 0, SpdyFlags.Fin, peer.Block(peer.Request("/two"))),
        .. PeerFrames.RstStream(version, 3, 5),
        .. PeerFrames.GoAway(version, 0),
    ];

    [TestCaseSource(nameof(AllVersions))]
    [CancelAfter(20000)]
    public async Task TryReadFrame_MutatedInput_ThrowsOnlyProtocolExceptions(SpdyVersion version)
    {
        var random = new Random(1234);
        await using var peer = new SpdyTestPeer(version);
        var valid = ValidConversation(peer, version);
        for (var round = 0; round < 2000; round++)
        {
            var bytes = (byte[])valid.Clone();
            for (var m = random.Next(1, 6); m > 0; m--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            using var reader = new SpdyFrameReader(SpdyProtocolProfile.For(version), 8192, 4096);
            var buffer = new ReadOnlySequence<byte>(bytes);
            try
            {
                while (reader.TryReadFrame(ref buffer, out _))
                {
                }
            }
            catch (SpdyProtocolException)
            {
                // expected for many mutations
            }
        }
    }

    [TestCaseSource(nameof(AllVersions))]
    [CancelAfter(60000)]
    public async Task Run_MutatedConversations_AlwaysEndCleanly(SpdyVersion version)
    {
        var random = new Random(99);
        for (var round = 0; round < 300; round++)
        {
            var peer = new SpdyTestPeer(version);
            var bytes = ValidConversation(peer, version);
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var session = new SpdySession(peer.SessionTransport, new SpdySessionOptions { Version = version, Role = SpdyRole.Server, MaxFrameSize = 8192, MaxHeaderBlockSize = 4096 },
                async stream =>
                {
                    await stream.WriteHeadersAsync(SpdyProtocolProfile.For(version).CreateResponseHeaders(200), endStream: false);
                    await stream.WriteDataAsync(new byte[1000], endStream: true);
                });
            var run = session.RunAsync();
            var drain = peer.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));
            await peer.SendAsync(bytes);
            peer.CloseOutput();

            Assert.That(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))), Is.SameAs(run), $"round {round}: the session did not end");
            await run; // never throws
            await drain;
            await session.DisposeAsync();
            await peer.DisposeAsync();
        }
    }
}
