using SpdyLab.Client.Http2.Hpack;

namespace SpdyLab.Client.Tests.Http2.Hpack;

/// <summary>RFC 7541 Appendix C examples: the encoder must produce, and the decoder accept, the RFC's exact octets.</summary>
public class HpackVectorTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    private static List<KeyValuePair<string, string>> Fields(params string[] nameValues) =>
        Enumerable.Range(0, nameValues.Length / 2).Select(i => new KeyValuePair<string, string>(nameValues[2 * i], nameValues[2 * i + 1])).ToList();

    // C.3 / C.4: three requests on one connection.
    private static readonly List<KeyValuePair<string, string>>[] Requests =
    [
        Fields(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"),
        Fields(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com", "cache-control", "no-cache"),
        Fields(":method", "GET", ":scheme", "https", ":path", "/index.html", ":authority", "www.example.com", "custom-key", "custom-value"),
    ];

    private static readonly string[] C3 =
    [
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ];

    private static readonly string[] C4 =
    [
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ];

    private static readonly int[] RequestTableSizes = [57, 110, 164];

    // C.5 / C.6: three responses with a 256-octet dynamic table, so entries get evicted.
    private static readonly List<KeyValuePair<string, string>>[] Responses =
    [
        Fields(":status", "302", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com"),
        Fields(":status", "307", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com"),
        Fields(":status", "200", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:22 GMT", "location", "https://www.example.com",
            "content-encoding", "gzip", "set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
    ];

    private static readonly string[] C5 =
    [
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 20 6d61 782d 6167 653d 3336 3030 3b20 7665 7273 696f 6e3d 31",
    ];

    private static readonly string[] C6 =
    [
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ];

    private static readonly int[] ResponseTableSizes = [222, 222, 215];

    [Test]
    public void Encode_C3RequestsWithoutHuffman_MatchesRfcOctetsAndTableSizes()
    {
        var encoder = new HpackEncoder { UseHuffman = false };
        for (var i = 0; i < Requests.Length; i++)
        {
            Assert.That(Convert.ToHexString(encoder.Encode(Requests[i])), Is.EqualTo(Convert.ToHexString(Hex(C3[i]))), $"C.3.{i + 1}");
            Assert.That(encoder.Table.Size, Is.EqualTo(RequestTableSizes[i]), $"C.3.{i + 1} table size");
        }
    }

    [Test]
    public void Encode_C4RequestsWithHuffman_MatchesRfcOctets()
    {
        var encoder = new HpackEncoder();
        for (var i = 0; i < Requests.Length; i++)
        {
            Assert.That(Convert.ToHexString(encoder.Encode(Requests[i])), Is.EqualTo(Convert.ToHexString(Hex(C4[i]))), $"C.4.{i + 1}");
        }
    }

    [Test]
    public void Encode_C5ResponsesIndexingEverything_MatchesRfcOctetsWithEviction()
    {
        var encoder = new HpackEncoder(maxTableSize: 256) { UseHuffman = false, Policy = HpackEncoder.IndexAll };
        for (var i = 0; i < Responses.Length; i++)
        {
            Assert.That(Convert.ToHexString(encoder.Encode(Responses[i])), Is.EqualTo(Convert.ToHexString(Hex(C5[i]))), $"C.5.{i + 1}");
            Assert.That(encoder.Table.Size, Is.EqualTo(ResponseTableSizes[i]), $"C.5.{i + 1} table size");
        }
    }

    [Test]
    public void Decode_C3AndC4Requests_GiveTheRfcHeaderLists()
    {
        foreach (var vectors in new[] { C3, C4 })
        {
            var decoder = new HpackDecoder();
            for (var i = 0; i < Requests.Length; i++)
            {
                Assert.That(decoder.Decode(Hex(vectors[i])), Is.EqualTo(Requests[i]), $"request {i + 1}");
                Assert.That(decoder.Table.Size, Is.EqualTo(RequestTableSizes[i]));
            }
        }
    }

    [Test]
    public void Decode_C5AndC6Responses_GiveTheRfcHeaderListsWithEviction()
    {
        foreach (var vectors in new[] { C5, C6 })
        {
            var decoder = new HpackDecoder(maxTableSizeLimit: 256);
            for (var i = 0; i < Responses.Length; i++)
            {
                Assert.That(decoder.Decode(Hex(vectors[i])), Is.EqualTo(Responses[i]), $"response {i + 1}");
                Assert.That(decoder.Table.Size, Is.EqualTo(ResponseTableSizes[i]));
            }

            Assert.That(decoder.Table.Count, Is.EqualTo(3), "C.5.3/C.6.3: three entries left after eviction");
        }
    }

    [Test]
    public void Decode_C2SingleFields_GiveEachRepresentation()
    {
        var decoder = new HpackDecoder();
        Assert.Multiple(() =>
        {
            Assert.That(decoder.Decode(Hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")), Is.EqualTo(Fields("custom-key", "custom-header")), "C.2.1 with indexing");
            Assert.That(decoder.Table.Size, Is.EqualTo(55));
            Assert.That(decoder.Decode(Hex("040c 2f73 616d 706c 652f 7061 7468")), Is.EqualTo(Fields(":path", "/sample/path")), "C.2.2 without indexing");
            Assert.That(decoder.Decode(Hex("1008 7061 7373 776f 7264 0673 6563 7265 74")), Is.EqualTo(Fields("password", "secret")), "C.2.3 never indexed");
            Assert.That(decoder.Decode(Hex("82")), Is.EqualTo(Fields(":method", "GET")), "C.2.4 indexed");
            Assert.That(decoder.Table.Count, Is.EqualTo(1), "only C.2.1 added an entry");
        });
    }

    [TestCase(10, 5, "0a")]
    [TestCase(1337, 5, "1f9a0a")]
    [TestCase(42, 8, "2a")]
    public void WriteInteger_C1Examples_MatchRfcOctets(int value, int prefixBits, string expected)
    {
        var output = new List<byte>();
        HpackEncoder.WriteInteger(output, 0, prefixBits, value);
        var position = 0;
        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexString(output.ToArray()), Is.EqualTo(expected.ToUpperInvariant()));
            Assert.That(HpackDecoder.ReadInteger(output.ToArray(), ref position, prefixBits), Is.EqualTo(value));
        });
    }
}
