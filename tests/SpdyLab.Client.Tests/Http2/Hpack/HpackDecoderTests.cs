using SpdyLab.Client.Http2.Hpack;

namespace SpdyLab.Client.Tests.Http2.Hpack;

public class HpackDecoderTests
{
    [Test]
    public void Decode_IndexBeyondTheTables_Fails() =>
        Assert.That(() => new HpackDecoder().Decode([0x80 | 62]), Throws.TypeOf<HpackDecodingException>().With.Message.Contains("beyond the dynamic table"));

    [Test]
    public void Decode_IndexZero_Fails() =>
        Assert.That(() => new HpackDecoder().Decode([0x80]), Throws.TypeOf<HpackDecodingException>());

    [Test]
    public void Decode_SizeUpdateAboveTheAnnouncedLimit_Fails()
    {
        var update = new List<byte>();
        HpackEncoder.WriteInteger(update, 0x20, 5, 8192);
        Assert.That(() => new HpackDecoder(maxTableSizeLimit: 4096).Decode(update.ToArray()), Throws.TypeOf<HpackDecodingException>().With.Message.Contains("exceeds"));
    }

    [Test]
    public void Decode_SizeUpdateAfterAField_Fails() =>
        Assert.That(() => new HpackDecoder().Decode([0x82, 0x20]), Throws.TypeOf<HpackDecodingException>().With.Message.Contains("after a header field"));

    [Test]
    public void Decode_StringRunningPastTheBlock_Fails() =>
        Assert.That(() => new HpackDecoder().Decode([0x40, 0x0a, (byte)'x']), Throws.TypeOf<HpackDecodingException>().With.Message.Contains("past the end"));

    [Test]
    public void Decode_RepeatedIndexesBeyondTheHeaderListLimit_Fail()
    {
        // One 1000-octet entry, then the same index 300 times: 300 KB of header list from a 300-octet block.
        var encoder = new HpackEncoder();
        var first = encoder.Encode([new("x-big", new string('v', 1000))]);
        var decoder = new HpackDecoder(maxTableSizeLimit: 4096, maxHeaderListSize: 262144);
        decoder.Decode(first);
        var repeated = Enumerable.Repeat((byte)(0x80 | 62), 300).ToArray();
        Assert.That(() => decoder.Decode(repeated), Throws.TypeOf<HpackDecodingException>().With.Message.Contains("MAX_HEADER_LIST_SIZE"));
    }
}
