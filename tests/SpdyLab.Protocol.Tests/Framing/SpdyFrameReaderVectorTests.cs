using System.Buffers;
using System.Text;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Protocol.Tests.Framing;

/// <summary>Every vector of spec/test-vectors.md decodes to what the spec's checker printed.</summary>
public class SpdyFrameReaderVectorTests
{
    private static List<SpdyFrame> ReadAll(SpdyProtocolProfile profile, params byte[][] inputs)
    {
        using var reader = new SpdyFrameReader(profile);
        var frames = new List<SpdyFrame>();
        foreach (var input in inputs)
        {
            var buffer = new ReadOnlySequence<byte>(input);
            while (reader.TryReadFrame(ref buffer, out var frame))
            {
                frames.Add(frame);
            }

            Assert.That(buffer.Length, Is.Zero, "every byte consumed");
        }

        return frames;
    }

    [Test]
    public void TryReadFrame_V2ChromeSynStream_DecodesTenHeaders()
    {
        var frame = (SynStreamFrame)ReadAll(SpdyProtocolProfile.Spdy2, TestVectors.V2_1_ChromeSynStream).Single();

        Assert.Multiple(() =>
        {
            Assert.That(frame.Id, Is.EqualTo(1));
            Assert.That(frame.AssociatedStreamId, Is.Zero);
            Assert.That(frame.Priority, Is.Zero);
            Assert.That(frame.IsFin, Is.True);
            Assert.That(frame.Headers.NameCount, Is.EqualTo(10));
            Assert.That(frame.Headers["method"], Is.EqualTo("GET"));
            Assert.That(frame.Headers["url"], Is.EqualTo("/"));
            Assert.That(frame.Headers["host"], Is.EqualTo("localhost:6121"));
            Assert.That(frame.Headers["version"], Is.EqualTo("HTTP/1.1"));
            Assert.That(frame.Headers["user-agent"], Does.Contain("Chrome/27.0.1432.0"));
        });
    }

    [Test]
    public void TryReadFrame_V2Settings_ReadsLittleEndianId()
    {
        var frame = (SettingsFrame)ReadAll(SpdyProtocolProfile.Spdy2, TestVectors.V2_2_Settings).Single();

        Assert.That(frame.Entries, Is.EqualTo(new[] { new SettingsEntry(SettingsId.MaxConcurrentStreams, SettingsEntryFlags.None, 1000) }));
    }

    [Test]
    public void TryReadFrame_V2GoAway_ReadsLastGoodIdWithoutStatus()
    {
        var frame = (GoAwayFrame)ReadAll(SpdyProtocolProfile.Spdy2, TestVectors.V2_3_GoAway).Single();

        Assert.That((frame.LastGoodStreamId, frame.Status), Is.EqualTo((543, GoAwayStatus.Ok)));
    }

    [Test]
    public void TryReadFrame_V2Ping_ReadsId()
    {
        var frame = (PingFrame)ReadAll(SpdyProtocolProfile.Spdy2, TestVectors.V2_4_Ping).Single();

        Assert.That(frame.Id, Is.EqualTo(12345u));
    }

    [TestCase(SpdyVersion.Spdy3)]
    [TestCase(SpdyVersion.Spdy31)]
    public void TryReadFrame_V3SynStream_DecodesMethodAndPath(SpdyVersion version)
    {
        var frame = (SynStreamFrame)ReadAll(SpdyProtocolProfile.For(version), TestVectors.V3_1_SynStream).Single();

        Assert.Multiple(() =>
        {
            Assert.That((frame.Id, frame.AssociatedStreamId, frame.Priority, frame.Slot), Is.EqualTo((1, 0, 0, (byte)0)));
            Assert.That(frame.Headers.ToList(), Is.EqualTo(new[] { KeyValuePair.Create(":method", "GET"), KeyValuePair.Create(":path", "/") }));
        });
    }

    [Test]
    public void TryReadFrame_V3SynReplyWithoutHeaders_HasEmptyHeaderList()
    {
        var frame = (SynReplyFrame)ReadAll(SpdyProtocolProfile.Spdy3, TestVectors.V3_2_SynReplyEmpty).Single();

        Assert.That((frame.Id, frame.Headers.NameCount), Is.EqualTo((1, 0)));
    }

    [Test]
    public void TryReadFrame_V3StoredBlockThenContinuedHeaders_SharesTheInflateContext()
    {
        var frames = ReadAll(SpdyProtocolProfile.Spdy3, TestVectors.V3_3_SynReplyStored, TestVectors.V3_4_HeadersContinued);

        var reply = (SynReplyFrame)frames[0];
        var headers = (HeadersFrame)frames[1];
        Assert.Multiple(() =>
        {
            Assert.That(reply.Headers["there"], Is.EqualTo("there"));
            Assert.That(reply.Headers[":status"], Is.EqualTo("200 OK"));
            Assert.That(reply.Headers[":version"], Is.EqualTo("HTTP/1.1"));
            Assert.That(headers.Id, Is.EqualTo(1));
            Assert.That(headers.Headers["more"], Is.EqualTo("headers"));
        });
    }

    [Test]
    public void TryReadFrame_V3ContinuedHeadersOnFreshContext_IsSessionError()
    {
        var ex = Assert.Throws<SpdyProtocolException>(() => ReadAll(SpdyProtocolProfile.Spdy3, TestVectors.V3_4_HeadersContinued));

        Assert.That(ex!.IsSessionError, Is.True);
    }

    [Test]
    public void TryReadFrame_V3TwoHeadersInOneBuffer_ReadsBoth()
    {
        var frames = ReadAll(SpdyProtocolProfile.Spdy3, TestVectors.V3_5_TwoHeaders);

        Assert.That(frames.Cast<HeadersFrame>().Select(f => (f.Id, f.Headers["a"])), Is.EqualTo(new[] { (4, "b"), (4, "b") }));
    }

    [Test]
    public void TryReadFrame_V3Data_ReadsPayload()
    {
        var frame = (DataFrame)ReadAll(SpdyProtocolProfile.Spdy3, TestVectors.V3_8_Data).Single();

        Assert.That((frame.Id, frame.IsFin, Encoding.ASCII.GetString(frame.Data.ToArray())), Is.EqualTo((1, false, "Writing to stream")));
    }

    [Test]
    public void TryReadFrame_V3DataWithFin_HasFin()
    {
        var bytes = (byte[])TestVectors.V3_8_Data.Clone();
        bytes[4] = 0x01;

        var frame = (DataFrame)ReadAll(SpdyProtocolProfile.Spdy3, bytes).Single();

        Assert.That(frame.IsFin, Is.True);
    }

    [TestCase((byte)1, RstStatus.ProtocolError)]
    [TestCase((byte)7, RstStatus.FlowControlError)]
    [TestCase((byte)9, RstStatus.StreamAlreadyClosed)]
    [TestCase((byte)11, RstStatus.FrameTooLarge)]
    public void TryReadFrame_V3RstStream_ReadsStatus(byte code, RstStatus expected)
    {
        var bytes = (byte[])TestVectors.V3_9_RstStream.Clone();
        bytes[15] = code;

        var frame = (RstStreamFrame)ReadAll(SpdyProtocolProfile.Spdy3, bytes).Single();

        Assert.That((frame.Id, frame.Status), Is.EqualTo((1, expected)));
    }

    [Test]
    public void TryReadFrame_V3Settings_ReadsPersistFlagAndBigEndianId()
    {
        var frame = (SettingsFrame)ReadAll(SpdyProtocolProfile.Spdy3, TestVectors.V3_10_Settings).Single();

        Assert.That(frame.Entries, Is.EqualTo(new[] { new SettingsEntry(SettingsId.InitialWindowSize, SettingsEntryFlags.PersistValue, 256) }));
    }

    [Test]
    public void TryReadFrame_V3PingGoAwayWindowUpdate_ReadFields()
    {
        var frames = ReadAll(SpdyProtocolProfile.Spdy31, TestVectors.V3_11_Ping, TestVectors.V3_12_GoAway, TestVectors.V3_13_WindowUpdate);

        Assert.Multiple(() =>
        {
            Assert.That(((PingFrame)frames[0]).Id, Is.EqualTo(1u));
            Assert.That(((GoAwayFrame)frames[1]).LastGoodStreamId, Is.EqualTo(1));
            Assert.That(((GoAwayFrame)frames[1]).Status, Is.EqualTo(GoAwayStatus.Ok));
            Assert.That(((WindowUpdateFrame)frames[2]).Id, Is.EqualTo(1));
            Assert.That(((WindowUpdateFrame)frames[2]).Delta, Is.EqualTo(43978));
        });
    }

    public static IEnumerable<TestCaseData> FrameVectors()
    {
        yield return new TestCaseData(SpdyVersion.Spdy2, TestVectors.V2_1_ChromeSynStream).SetName("SplitReads_V2_1");
        yield return new TestCaseData(SpdyVersion.Spdy2, TestVectors.V2_2_Settings).SetName("SplitReads_V2_2");
        yield return new TestCaseData(SpdyVersion.Spdy3, TestVectors.V3_1_SynStream).SetName("SplitReads_V3_1");
        yield return new TestCaseData(SpdyVersion.Spdy3, TestVectors.V3_3_SynReplyStored.Concat(TestVectors.V3_4_HeadersContinued).ToArray()).SetName("SplitReads_V3_3_and_4");
        yield return new TestCaseData(SpdyVersion.Spdy31, TestVectors.V3_5_TwoHeaders).SetName("SplitReads_V3_5");
        yield return new TestCaseData(SpdyVersion.Spdy31, TestVectors.V3_8_Data).SetName("SplitReads_V3_8");
        yield return new TestCaseData(SpdyVersion.Spdy31, TestVectors.V3_13_WindowUpdate).SetName("SplitReads_V3_13");
    }

    [TestCaseSource(nameof(FrameVectors))]
    public void TryReadFrame_SplitAtEveryOffset_GivesTheSameFrames(SpdyVersion version, byte[] bytes)
    {
        var profile = SpdyProtocolProfile.For(version);
        var expected = ReadAll(profile, bytes).Select(Describe).ToList();

        for (var cut = 1; cut < bytes.Length; cut++)
        {
            // (a) all bytes present, in two segments; (b) the bytes arrive in two reads, like a socket would deliver them.
            using (var reader = new SpdyFrameReader(profile))
            {
                var buffer = Sequences.Split(bytes, cut, cut / 2 + 1);
                var frames = new List<string>();
                while (reader.TryReadFrame(ref buffer, out var frame))
                {
                    frames.Add(Describe(frame));
                }

                Assert.That(frames, Is.EqualTo(expected), $"segments cut at {cut}");
            }

            using (var reader = new SpdyFrameReader(profile))
            {
                var frames = new List<string>();
                var pending = bytes[..cut];
                var buffer = new ReadOnlySequence<byte>(pending);
                while (reader.TryReadFrame(ref buffer, out var frame))
                {
                    frames.Add(Describe(frame));
                }

                var rest = buffer.ToArray().Concat(bytes[cut..]).ToArray();
                buffer = new ReadOnlySequence<byte>(rest);
                while (reader.TryReadFrame(ref buffer, out var frame))
                {
                    frames.Add(Describe(frame));
                }

                Assert.That(frames, Is.EqualTo(expected), $"second read starts at {cut}");
                Assert.That(buffer.Length, Is.Zero);
            }
        }
    }

    private static string Describe(SpdyFrame frame) => frame switch
    {
        DataFrame data => $"{data} {Convert.ToHexString(data.Data.ToArray())}",
        _ => frame.ToString()!,
    };
}
