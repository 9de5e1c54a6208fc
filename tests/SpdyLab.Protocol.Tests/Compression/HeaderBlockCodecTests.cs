using System.Buffers;
using SpdyLab.Protocol.Compression;

namespace SpdyLab.Protocol.Tests.Compression;

public class HeaderBlockCodecTests
{
    [Test]
    public void Serialize_MultipleValues_JoinsWithNul()
    {
        var headers = new HeaderList().Add("Set-Cookie", "a=1").Add("set-cookie", "b=2");
        var output = new ArrayBufferWriter<byte>();

        HeaderBlockCodec.Serialize(headers, 4, output);

        Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo(
            "00000001" + "0000000A" + Convert.ToHexString("set-cookie"u8) + "00000007" + Convert.ToHexString("a=1\0b=2"u8)));
    }

    [Test]
    public void Serialize_V2_UsesSixteenBitLengths()
    {
        var output = new ArrayBufferWriter<byte>();

        HeaderBlockCodec.Serialize(new HeaderList().Add("a", "bc"), 2, output);

        Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo("0001" + "0001" + "61" + "0002" + "6263"));
    }

    [Test]
    public void Parse_NulJoinedValue_GivesTwoValues()
    {
        var headers = HeaderBlockCodec.Parse(Convert.FromHexString("00000001" + "00000001" + "61" + "00000003" + "780079"), 4, 1);

        Assert.That(headers.GetValues("a"), Is.EqualTo(new[] { "x", "y" }));
    }

    [TestCase("00000001" + "00000000" + "00000001" + "78", TestName = "Parse_ZeroLengthName_IsStreamProtocolError")]
    [TestCase("00000001" + "00000001" + "61" + "00000002" + "0078", TestName = "Parse_ValueStartingWithNul_IsStreamProtocolError")]
    [TestCase("00000001" + "00000001" + "61" + "00000002" + "7800", TestName = "Parse_ValueEndingWithNul_IsStreamProtocolError")]
    [TestCase("00000001" + "00000001" + "61" + "00000004" + "78000079", TestName = "Parse_DoubleNulInValue_IsStreamProtocolError")]
    [TestCase("00000002" + "00000001" + "61" + "00000001" + "78" + "00000001" + "61" + "00000001" + "79", TestName = "Parse_DuplicateName_IsStreamProtocolError")]
    [TestCase("00000002" + "00000001" + "61" + "00000001" + "78", TestName = "Parse_TruncatedBlock_IsStreamProtocolError")]
    [TestCase("00000001" + "00000001" + "61" + "00000009" + "78", TestName = "Parse_ValueLengthPastEnd_IsStreamProtocolError")]
    [TestCase("00000000" + "00", TestName = "Parse_TrailingBytes_IsStreamProtocolError")]
    public void Parse_IllegalBlock_IsStreamProtocolError(string hex)
    {
        var ex = Assert.Throws<SpdyProtocolException>(() => HeaderBlockCodec.Parse(Convert.FromHexString(hex), 4, 7));

        Assert.That((ex!.IsSessionError, ex.StreamId, ex.StreamStatus), Is.EqualTo((false, 7, RstStatus.ProtocolError)));
    }

    [Test]
    public void Encode_FirstBlock_StartsWithTheDictionaryId()
    {
        using var v2 = new HeaderBlockEncoder(SpdyProtocolProfile.Spdy2);
        using var v3 = new HeaderBlockEncoder(SpdyProtocolProfile.Spdy3);
        var out2 = new ArrayBufferWriter<byte>();
        var out3 = new ArrayBufferWriter<byte>();

        v2.Encode(new HeaderList().Add("method", "GET"), out2);
        v3.Encode(new HeaderList().Add(":method", "GET"), out3);

        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexString(out2.WrittenSpan[2..6]), Is.EqualTo("DFA251B2"));
            Assert.That(Convert.ToHexString(out3.WrittenSpan[2..6]), Is.EqualTo("E3C6A7C2"));
            Assert.That(Convert.ToHexString(out3.WrittenSpan[^4..]), Is.EqualTo("0000FFFF"), "sync flush marker");
        });
    }

    [Test]
    public void Encode_RepeatedBlock_CompressesBetterTheSecondTime()
    {
        using var encoder = new HeaderBlockEncoder(SpdyProtocolProfile.Spdy3);
        var headers = new HeaderList().Add(":method", "GET").Add(":path", "/index.html").Add("user-agent", "Mozilla/5.0 (X11; Linux x86_64) SpdyLab/1.0")
            .Add("accept", "text/html,application/xhtml+xml").Add("cookie", "session=0123456789abcdef0123456789abcdef");
        var first = new ArrayBufferWriter<byte>();
        var second = new ArrayBufferWriter<byte>();

        encoder.Encode(headers, first);
        encoder.Encode(headers, second);

        Assert.That(second.WrittenCount, Is.LessThan(first.WrittenCount / 2));
    }

    [Test]
    [CancelAfter(10000)]
    public void Parse_TensOfThousandsOfPairs_DecodesThemAll()
    {
        // 28,000 distinct one-letter-ish names: what a 256 KB block can hold at most.
        var output = new ArrayBufferWriter<byte>();
        var headers = new HeaderList();
        for (var i = 0; i < 28_000; i++)
        {
            headers.AddEntry(new HeaderList.Entry(i.ToString("x", System.Globalization.CultureInfo.InvariantCulture), string.Empty));
        }

        HeaderBlockCodec.Serialize(headers, 4, output);

        var parsed = HeaderBlockCodec.Parse(output.WrittenSpan, 4, 1);

        Assert.That(parsed.NameCount, Is.EqualTo(28_000));
    }

    [Test]
    public void Parse_WithRecentStrings_RepeatedValueIsTheSameStringAndOthersDecodeAsUsual()
    {
        var recent = new RecentStrings();
        byte[] Block(string host, string path)
        {
            var output = new ArrayBufferWriter<byte>();
            HeaderBlockCodec.Serialize(new HeaderList().Add(":host", host).Add(":path", path).Add("x", "a\0b"), 4, output);
            return output.WrittenSpan.ToArray();
        }

        // The cache is direct-mapped: a value sharing the host's slot would evict it. Its hash is deterministic,
        // so these values never share one (with a per-process seed this failed about 1 run in 20).
        var first = HeaderBlockCodec.Parse(Block("example.com:8080", "/one"), 4, 1, recent);
        var second = HeaderBlockCodec.Parse(Block("example.com:8080", "/two"), 4, 3, recent);

        Assert.That(second.Get(":host"), Is.SameAs(first.Get(":host")));
        Assert.That(first.Get(":path"), Is.EqualTo("/one"));
        Assert.That(second.Get(":path"), Is.EqualTo("/two"));
        Assert.That(second.GetValues("x"), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void RecentStrings_CollidingValues_EachDecodesToItsOwnText()
    {
        var recent = new RecentStrings();
        // More distinct values than slots: whatever shares a slot is replaced, never confused.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 200; i++)
            {
                var text = $"value-{i}";
                Assert.That(recent.Get(System.Text.Encoding.Latin1.GetBytes(text)), Is.EqualTo(text));
            }
        }
    }
}
