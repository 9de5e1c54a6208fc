using System.Text;
using SpdyLab.Client.Http2.Hpack;

namespace SpdyLab.Client.Tests.Http2.Hpack;

public class HpackHuffmanTests
{
    // RFC 7541 Appendix B, "code as hex" and "len".
    [TestCase(0, 0x1ff8u, 13)]
    [TestCase('0', 0x0u, 5)]
    [TestCase('a', 0x3u, 5)]
    [TestCase(' ', 0x14u, 6)]
    [TestCase('z', 0x7bu, 7)]
    [TestCase('~', 0x1ffdu, 13)]
    [TestCase(255, 0x3ffffeeu, 26)]
    [TestCase(HpackHuffman.EndOfString, 0x3fffffffu, 30)]
    public void CodeOf_Symbol_IsAppendixB(int symbol, uint code, int length) =>
        Assert.That(HpackHuffman.CodeOf(symbol), Is.EqualTo((code, length)));

    [Test]
    public void Encode_WwwExampleCom_IsTheC41String()
    {
        var output = new List<byte>();
        HpackHuffman.Encode("www.example.com"u8, output);
        Assert.That(Convert.ToHexString(output.ToArray()), Is.EqualTo("F1E3C2E5F23A6BA0AB90F4FF"));
    }

    [Test]
    public void Decode_EveryOctet_RoundTrips()
    {
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var output = new List<byte>();
        HpackHuffman.Encode(all, output);
        Assert.Multiple(() =>
        {
            Assert.That(HpackHuffman.Decode(output.ToArray()), Is.EqualTo(all));
            Assert.That(output, Has.Count.EqualTo(HpackHuffman.EncodedLength(all)));
        });
    }

    [Test]
    public void Decode_PaddingOfZeros_Fails() =>
        // 'a' is 00011 (5 bits); padding must be ones: 00011000 is invalid, 00011111 is "a".
        Assert.Multiple(() =>
        {
            Assert.That(() => HpackHuffman.Decode([0b0001_1000]), Throws.TypeOf<HpackDecodingException>().With.Message.Contains("padding"));
            Assert.That(Encoding.Latin1.GetString(HpackHuffman.Decode([0b0001_1111])), Is.EqualTo("a"));
        });

    [Test]
    public void Decode_PaddingLongerThanSevenBits_Fails() =>
        Assert.That(() => HpackHuffman.Decode([0b0001_1111, 0xFF]), Throws.TypeOf<HpackDecodingException>());

    [Test]
    public void Decode_EndOfStringSymbol_Fails() =>
        Assert.That(() => HpackHuffman.Decode([0xFF, 0xFF, 0xFF, 0xFF]), Throws.TypeOf<HpackDecodingException>().With.Message.Contains("EOS"));
}
