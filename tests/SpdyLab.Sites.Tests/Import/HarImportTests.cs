using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SpdyLab.Sites.Import;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;
using SpdyLab.Sites.Tests.Images;

namespace SpdyLab.Sites.Tests.Import;

[CancelAfter(30_000)]
public class HarImportTests
{
    string _folder = "";

    [SetUp]
    public void SetUp() => _folder = TestSnapshots.TempFolder();

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    Snapshot ImportQuirky() => HarFixtures.ImportQuirky(_folder);

    [Test]
    public void Import_QuirkyHar_KeepsEveryReplayableEntry()
    {
        var snapshot = ImportQuirky();
        Assert.That(snapshot.Exchanges.Select(e => e.Url), Is.EqualTo(new[]
        {
            "http://www.example.com/", "http://m.example.com/", "http://m.example.com/s.css?v=3", "http://img.example.net/a.png", "http://m.example.com/missing.gif",
        }));
        Assert.That(snapshot.Manifest.Page, Is.EqualTo("http://www.example.com/"));
        Assert.That(snapshot.Manifest.Notes, Has.Some.Contains("status 0"));
        Assert.That(snapshot.Manifest.Source, Does.Contain("Fiddler"));
    }

    [Test]
    public void Import_DecodedBodyUnderGzipHeader_IsReencodedSoHeadersTellTheTruth()
    {
        var snapshot = ImportQuirky();
        var page = snapshot.Exchanges[1];
        var wire = snapshot.BodyOf(page).ToArray();
        Assert.That(wire[..2], Is.EqualTo(new byte[] { 0x1F, 0x8B }));
        using var gzip = new GZipStream(new MemoryStream(wire), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        Assert.That(reader.ReadToEnd(), Is.EqualTo(HarFixtures.PageHtml));
        Assert.That(page.Flags, Does.Contain(ExchangeFlags.BodyReencoded));
    }

    [Test]
    public void Import_MissingBody_IsSynthesizedAtTheRecordedSizeAndFlagged()
    {
        var snapshot = ImportQuirky();
        var missing = snapshot.Exchanges[4];
        Assert.That(missing.Flags, Does.Contain(ExchangeFlags.BodySynthesized));
        Assert.That(missing.BodySize, Is.EqualTo(1234));
        Assert.That(ImageValidator.Gif(snapshot.BodyOf(missing).ToArray()), Is.Not.EqualTo((0, 0)));
    }

    [Test]
    public void Import_InitiatorsFromRedirectAndReferer()
    {
        var snapshot = ImportQuirky();
        Assert.That(snapshot.Exchanges[1].Initiator, Is.EqualTo(0));
        Assert.That(snapshot.Exchanges[1].InitiatorType, Is.EqualTo("redirect"));
        Assert.That(snapshot.Exchanges[3].Initiator, Is.EqualTo(1));
        Assert.That(snapshot.Exchanges[3].InitiatorType, Is.EqualTo("parser"));
    }

    [Test]
    public async Task Import_ThenReplayOverHttp1_BodiesAndHeadersAsRecorded()
    {
        var snapshot = ImportQuirky();
        var har = JsonNode.Parse(HarFixtures.QuirkyHar().AsSpan(3))!;
        await using var host = await ReplayHost.StartAsync(new SnapshotReplayOptions { Snapshot = snapshot });
        foreach (var entry in har["log"]!["entries"]!.AsArray().Take(4))
        {
            var url = new Uri(entry!["request"]!["url"]!.GetValue<string>());
            using var response = await host.SendAsync(url.Host, url.PathAndQuery);
            var recorded = entry["response"]!;
            Assert.That((int)response.StatusCode, Is.EqualTo(recorded["status"]!.GetValue<int>()), url.ToString());
            // Every recorded header comes back with its value, except connection framing (Kestrel frames the body).
            foreach (var header in recorded["headers"]!.AsArray())
            {
                var name = header!["name"]!.GetValue<string>();
                if (name is "Content-Length" or "Transfer-Encoding")
                {
                    continue;
                }
                var values = response.Headers.TryGetValues(name, out var v) ? v : response.Content.Headers.TryGetValues(name, out var cv) ? cv : [];
                Assert.That(values, Does.Contain(header["value"]!.GetValue<string>()), $"{url}: {name}");
            }
            // The body, decoded as a browser would, is the recorded content.
            var body = await response.Content.ReadAsByteArrayAsync();
            if (response.Content.Headers.ContentEncoding.Contains("gzip"))
            {
                using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
                var plain = new MemoryStream();
                gzip.CopyTo(plain);
                body = plain.ToArray();
            }
            var content = recorded["content"]!;
            var expected = content["text"] is { } text
                ? content["encoding"]?.GetValue<string>() == "base64" ? Convert.FromBase64String(text.GetValue<string>()) : Encoding.UTF8.GetBytes(text.GetValue<string>())
                : [];
            Assert.That(body, Is.EqualTo(expected), url.ToString());
        }
        // Both Set-Cookie headers survive.
        using var page = await host.SendAsync("m.example.com", "/");
        Assert.That(page.Headers.GetValues("Set-Cookie"), Is.EqualTo(new[] { "a=1; path=/", "b=2; path=/" }));
    }

    [Test]
    public async Task ExportThenImport_RoundTripsHeadersAndBodies()
    {
        var original = ImportQuirky();
        var harPath = Path.Combine(_folder, "export.har");
        HarExporter.Write(original, harPath);
        var again = HarImporter.Import(harPath, "again").WriteTo(Path.Combine(_folder, "again"));
        Assert.That(again.Exchanges.Select(e => (e.Url, e.Status, e.Initiator, e.InitiatorType)), Is.EqualTo(original.Exchanges.Select(e => (e.Url, e.Status, e.Initiator, e.InitiatorType))));
        for (var i = 0; i < original.Exchanges.Count; i++)
        {
            var a = original.Exchanges[i];
            var b = again.Exchanges[i];
            Assert.That(b.ResponseHeaders, Is.EqualTo(a.ResponseHeaders), a.Url);
            Assert.That(b.RequestHeaders, Is.EqualTo(a.RequestHeaders), a.Url);
            Assert.That(SiteFigures.Decode(b, again.BodyOf(b)).ToArray(), Is.EqualTo(SiteFigures.Decode(a, original.BodyOf(a)).ToArray()), a.Url);
        }
        await Task.CompletedTask;
    }

    [Test]
    public void ExportThenImport_GeneratedSite_WireBytesIdentical()
    {
        // The corpus gzips with the same library the importer re-encodes with, so wire bytes survive too.
        var site = Snapshot.Load(Path.Combine(Corpus.CorpusTests.RepositoryRoot(), "sites", "corpus", "google"));
        var harPath = Path.Combine(_folder, "google.har");
        HarExporter.Write(site, harPath);
        var again = HarImporter.Import(harPath, "google").Build();
        Assert.That(again.Exchanges.Select(e => e.Body), Is.EqualTo(site.Exchanges.Select(e => e.Body)));
    }

    [TestCase("{\"log\": {\"entries\": [ {\"request\": {}, \"response\": {\"status\": 200}} ]}}", "log.entries[0].request.url: missing")]
    [TestCase("{\"log\": {\"entries\": {}}}", "log.entries: expected array")]
    [TestCase("{\"log\": {}}", "log.entries: missing")]
    [TestCase("{\"log\": {\"entries\": [\n  {\"request\": {\"url\": \"http://a/\"},\n   \"response\": {\"status\": 200, \"content\": {\"text\": \"%%%\", \"encoding\": \"base64\"}}}]}}", "log.entries[0].response.content.text: not valid base64")]
    [TestCase("{\"log\": {\"entries\": [\n  {\"request\": {\"url\": \"http://a/\"} \"response\": {}}]}}", "line 2")]
    public void Import_MalformedHar_SaysWhereAndWritesNothing(string json, string expected)
    {
        var path = Path.Combine(_folder, "bad.har");
        File.WriteAllText(path, json);
        var target = Path.Combine(_folder, "out", "bad");
        var e = Assert.Throws<SnapshotFormatException>(() => Importers.Import(path, "bad").WriteTo(target));
        Assert.That(e!.Message, Does.Contain(path).And.Contain(expected));
        Assert.That(Directory.Exists(Path.Combine(_folder, "out")) ? Directory.GetFileSystemEntries(Path.Combine(_folder, "out")) : [], Is.Empty);
    }

    [Test]
    public void ImportSupport_SplitUrl_KeepsRawPathAndDropsDefaultPortAndFragment()
    {
        Assert.That(ImportSupport.SplitUrl("http://WWW.Example.com:80/a%20b/c?x=1&y=%7E#frag"), Is.EqualTo(("http", "www.example.com", "/a%20b/c?x=1&y=%7E")));
        Assert.That(ImportSupport.SplitUrl("https://a.com:8443?q"), Is.EqualTo(("https", "a.com:8443", "/?q")));
        Assert.That(ImportSupport.SplitUrl("data:image/gif;base64,R0lG"), Is.Null);
    }
}
