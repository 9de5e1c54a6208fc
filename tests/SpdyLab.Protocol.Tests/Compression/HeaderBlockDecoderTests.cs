using System.Buffers;
using SpdyLab.Protocol.Compression;

namespace SpdyLab.Protocol.Tests.Compression;

public class HeaderBlockDecoderTests
{
    [Test]
    public void Decode_V2Block_GivesMethodUrlVersion()
    {
        using var decoder = new HeaderBlockDecoder(SpdyProtocolProfile.Spdy2, 65536);

        var headers = decoder.Decode(new ReadOnlySequence<byte>(TestVectors.V2_5_Block), 1);

        Assert.That(headers.ToList(), Is.EqualTo(new[]
        {
            KeyValuePair.Create("method", "GET"), KeyValuePair.Create("url", "/"), KeyValuePair.Create("version", "HTTP/1.1"),
        }));
    }

    [Test]
    public void Decode_V3Block_GivesPseudoHeaders()
    {
        using var decoder = new HeaderBlockDecoder(SpdyProtocolProfile.Spdy3, 65536);

        var headers = decoder.Decode(new ReadOnlySequence<byte>(TestVectors.V3_6_Block), 1);

        Assert.That(headers.ToList(), Is.EqualTo(new[]
        {
            KeyValuePair.Create(":method", "GET"), KeyValuePair.Create(":path", "/hello_world"), KeyValuePair.Create(":version", "HTTP/1.1"),
        }));
    }

    [Test]
    public void Decode_V3StoredBlock_GivesNameValue()
    {
        using var decoder = new HeaderBlockDecoder(SpdyProtocolProfile.Spdy31, 65536);

        var headers = decoder.Decode(new ReadOnlySequence<byte>(TestVectors.V3_7_StoredBlock), 1);

        Assert.That(headers["name"], Is.EqualTo("value"));
    }

    [Test]
    public void Decode_BlockWithWrongDictionary_IsSessionError()
    {
        using var decoder = new HeaderBlockDecoder(SpdyProtocolProfile.Spdy2, 65536);

        var ex = Assert.Throws<SpdyProtocolException>(() => decoder.Decode(new ReadOnlySequence<byte>(TestVectors.V3_6_Block), 1));

        Assert.That(ex!.IsSessionError, Is.True);
    }

    [Test]
    public void Decode_BlockInflatingPastTheLimit_StopsWithSessionError()
    {
        // A 4 MB block of one repeated header value compresses to a few KB: a decompression bomb.
        var profile = SpdyProtocolProfile.Spdy3;
        using var encoder = new HeaderBlockEncoder(profile, new HeaderCompressionOptions(9, 15, 8));
        var bomb = new HeaderList().Add("x", new string('a', 4 << 20));
        var compressed = new ArrayBufferWriter<byte>();
        encoder.Encode(bomb, compressed);
        using var decoder = new HeaderBlockDecoder(profile, 64 * 1024);

        var ex = Assert.Throws<SpdyProtocolException>(() => decoder.Decode(new ReadOnlySequence<byte>(compressed.WrittenMemory), 5));

        Assert.Multiple(() =>
        {
            Assert.That(compressed.WrittenCount, Is.LessThan(64 * 1024));
            Assert.That(ex!.IsSessionError, Is.True);
            Assert.That(ex.StreamId, Is.EqualTo(5));
            Assert.That(ex.StreamStatus, Is.EqualTo(RstStatus.FrameTooLarge));
        });
    }

    [Test]
    public void Decode_BlockExactlyAtTheLimit_Decodes()
    {
        var profile = SpdyProtocolProfile.Spdy3;
        using var encoder = new HeaderBlockEncoder(profile);
        // 4 (count) + 4 + 1 (name) + 4 + value = 4096
        var headers = new HeaderList().Add("x", new string('a', 4096 - 13));
        var compressed = new ArrayBufferWriter<byte>();
        encoder.Encode(headers, compressed);
        using var decoder = new HeaderBlockDecoder(profile, 4096);

        var decoded = decoder.Decode(new ReadOnlySequence<byte>(compressed.WrittenMemory), 1);

        Assert.That(decoded["x"]!.Length, Is.EqualTo(4096 - 13));
    }
}
