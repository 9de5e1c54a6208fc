using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using SpdyLab.Lab.Bench;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Compression;

namespace SpdyLab.Lab.Tests.Bench;

public class RawSpdyConnectionTests
{
    private static RawSpdyConnection Connection(string path) => new(
        new RawLoadSettings
        {
            Protocol = RawProtocol.Spdy31,
            EndPoint = new IPEndPoint(IPAddress.Loopback, 40123),
            Path = path,
            ExpectedBodyLength = 1024,
            Load = new BenchLoad(1, 100),
        },
        measureStart: 0,
        end: long.MaxValue,
        drainEnd: long.MaxValue);

    // The generator stops running deflate once its output repeats and replays the bytes. A server inflates
    // every block in one context for the whole session, so each replayed block must still decode, in order, to
    // the request: if replaying were wrong, a later block would fail or decode to other headers.
    [TestCase("/bench/1024.bin")]
    [TestCase("/a/much/longer/path/to/a/resource-with-a-long-name.js?query=1")]
    public void RequestFrame_ManyRequests_EveryBlockInflatesInOneContextToTheRequest(string path)
    {
        using var connection = Connection(path);
        using var decoder = new HeaderBlockDecoder(SpdyProtocolProfile.Spdy31, 64 * 1024);
        var steadyFrom = -1;

        for (var i = 0; i < 5000; i++)
        {
            var streamId = 2 * i + 1;
            var frame = connection.RequestFrame(streamId);

            // Control frame, version 3, type 1 (SYN_STREAM), FLAG_FIN; then stream id, associated id, priority, slot.
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(frame), Is.EqualTo(0x8003));
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)), Is.EqualTo(1));
            Assert.That(frame.Length - 8, Is.EqualTo((frame[5] << 16) | (frame[6] << 8) | frame[7]));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(8)), Is.EqualTo(streamId));
            var headers = decoder.Decode(new ReadOnlySequence<byte>(frame, 18, frame.Length - 18), streamId);

            Assert.That(headers.Select(h => $"{h.Key}={h.Value}"), Is.EqualTo(new[]
            {
                ":method=GET", $":path={path}", ":version=HTTP/1.1", ":host=127.0.0.1:40123", ":scheme=http",
            }), $"request {i}");
            if (steadyFrom < 0 && connection.HeaderBlockSteady)
            {
                steadyFrom = i;
            }
        }

        // Replaying starts after a few blocks, so almost all of the 5000 above were replayed.
        Assert.That(steadyFrom, Is.InRange(RawSpdyConnection.SteadyAfterRepeats, 10));
    }
}
