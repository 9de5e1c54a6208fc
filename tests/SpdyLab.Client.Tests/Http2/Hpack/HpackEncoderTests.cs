using SpdyLab.Client.Http2.Hpack;

namespace SpdyLab.Client.Tests.Http2.Hpack;

public class HpackEncoderTests
{
    private static List<KeyValuePair<string, string>> BrowserRequest(string path) =>
    [
        new(":method", "GET"), new(":authority", "www.example.com"), new(":scheme", "https"), new(":path", path),
        new("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
        new("accept", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"),
        new("accept-encoding", "gzip, deflate, br"), new("accept-language", "en-US,en;q=0.9"),
        new("referer", "https://www.example.com/"), new("cookie", "session=0123456789abcdef0123456789abcdef; theme=dark; lang=en"),
        new("priority", "i"),
    ];

    [Test]
    public void Encode_SecondIdenticalRequest_IsAFewOctetsOfIndexes()
    {
        var encoder = new HpackEncoder();
        var first = encoder.Encode(BrowserRequest("/a.png"));
        var second = encoder.Encode(BrowserRequest("/a.png"));
        Assert.Multiple(() =>
        {
            Assert.That(first, Has.Length.GreaterThan(150));
            // Every field is an index except :path, which Chromium never indexes (a literal with an indexed name).
            Assert.That(second, Has.Length.LessThan(25), $"first {first.Length} octets, second {second.Length}");
        });
    }

    [Test]
    public void Encode_NextRequestWithAnotherPath_SendsOnlyThePathLiterally()
    {
        var encoder = new HpackEncoder();
        encoder.Encode(BrowserRequest("/a.png"));
        var tableEntries = encoder.Table.Count;
        var next = encoder.Encode(BrowserRequest("/images/another-picture.png"));
        Assert.Multiple(() =>
        {
            Assert.That(encoder.Table.Count, Is.EqualTo(tableEntries), ":path is not added to the dynamic table (Chromium's policy)");
            Assert.That(next, Has.Length.LessThan(40));
        });
    }

    [Test]
    public void Encode_Cookie_IsIndexedCrumbByCrumb()
    {
        var encoder = new HpackEncoder();
        encoder.Encode([new("cookie", "a=1; b=2; c=3")]);
        var decoded = new HpackDecoder().Decode(new HpackEncoder().Encode([new("cookie", "a=1; b=2; c=3")]));
        var changed = encoder.Encode([new("cookie", "a=1; b=2; c=4")]);
        Assert.Multiple(() =>
        {
            Assert.That(decoded.Select(f => f.Value), Is.EqualTo(new[] { "a=1", "b=2", "c=3" }), "RFC 9113 §8.2.3 crumbs");
            Assert.That(decoded.Select(f => f.Key), Has.All.EqualTo("cookie"));
            // After the first block the table holds c=3 (62), b=2 (63), a=1 (64): two one-octet indexes, then
            // only the changed crumb as a literal with the static name "cookie" (index 32) and incremental indexing.
            Assert.That(changed.Take(3), Is.EqualTo(new byte[] { 0x80 | 64, 0x80 | 63, 0x40 | 32 }));
        });
    }

    [Test]
    public void Encode_PseudoHeadersOtherThanAuthority_AreNotIndexed()
    {
        var encoder = new HpackEncoder();
        encoder.Encode([new(":method", "GET"), new(":authority", "a.example"), new(":scheme", "https"), new(":path", "/x")]);
        Assert.That(encoder.Table.Count, Is.EqualTo(1), "only :authority enters the dynamic table");
        Assert.That(encoder.Table[0], Is.EqualTo((":authority", "a.example")));
    }

    [Test]
    public void SetMaxTableSize_NextBlock_StartsWithASizeUpdateTheDecoderFollows()
    {
        var encoder = new HpackEncoder();
        var decoder = new HpackDecoder(maxTableSizeLimit: 65536);
        decoder.Decode(encoder.Encode([new("x-a", new string('a', 100))]));
        encoder.SetMaxTableSize(64);
        var block = encoder.Encode([new("x-b", "b")]);
        var fields = decoder.Decode(block);
        Assert.Multiple(() =>
        {
            Assert.That(block[0] & 0xE0, Is.EqualTo(0x20), "RFC 7541 §6.3 dynamic table size update first");
            Assert.That(fields, Is.EqualTo(new[] { new KeyValuePair<string, string>("x-b", "b") }));
            Assert.That(decoder.Table.MaxSize, Is.EqualTo(64));
            Assert.That(encoder.Table.Count, Is.EqualTo(1), "the 100-octet entry was evicted; x-b (36 octets) fits");
            Assert.That(decoder.Table.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void Encode_ThenDecode_RoundTripsArbitraryOctetsAcrossManyBlocks()
    {
        var random = new Random(7);
        var encoder = new HpackEncoder();
        var decoder = new HpackDecoder(maxTableSizeLimit: 4096);
        for (var block = 0; block < 200; block++)
        {
            var fields = Enumerable.Range(0, random.Next(1, 12)).Select(_ =>
            {
                var name = "x-" + new string((char)('a' + random.Next(26)), random.Next(1, 6));
                var value = new string(Enumerable.Range(0, random.Next(0, 300)).Select(_ => (char)random.Next(0, 256)).ToArray());
                return new KeyValuePair<string, string>(name, value);
            }).ToList();
            Assert.That(decoder.Decode(encoder.Encode(fields)), Is.EqualTo(fields), $"block {block}");
        }
    }
}
