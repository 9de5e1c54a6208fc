using System.Text.Json;
using SpdyLab.Client.PageLoad;
using SpdyLab.Lab.Loading;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.PageLoad;

/// <summary>The built-in model replays a snapshot's load graph: the browser's work before a request, before the
/// document, after the last response; what does not hold the load event; what the browser never asks for.</summary>
public class LoadGraphModelTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("spdylab-graph-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static Snapshot Persist(Snapshot snapshot, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, Snapshot.ManifestFileName), JsonSerializer.Serialize(snapshot.Manifest, SnapshotManifest.JsonOptions));
        foreach (var exchange in snapshot.Exchanges.Where(e => e.Body is not null))
        {
            var path = Snapshot.BodyPath(directory, exchange.Body!)!;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, snapshot.BodyOf(exchange).ToArray());
        }
        return Snapshot.Load(directory);
    }

    private static ExchangeRecord Find(Snapshot snapshot, string url) => snapshot.Exchanges.Single(e => e.Url == url);

    [Test, CancelAfter(30_000)]
    public async Task Load_WithGraph_WaitsForTheRecordedWork_AndEndsWithTheLoadEvent()
    {
        var snapshot = Persist(TestPages.Build(images: 4), Path.Combine(_folder, "page"));
        var delayed = Find(snapshot, "http://img.test.example/i/0.jpg");
        var late = Find(snapshot, "http://img.test.example/i/1.jpg");
        var never = Find(snapshot, "http://img.test.example/i/2.jpg");
        new LoadGraph
        {
            Site = snapshot.Name,
            ManifestSha256 = LoadGraph.ManifestHash(snapshot.Directory!),
            NavigationMs = 150,
            OnloadMs = 200,
            Resources =
            [
                new GraphResource { Exchange = delayed.Id, Url = delayed.Url, Trigger = 0, DelayMs = 400 },
                new GraphResource { Exchange = late.Id, Url = late.Url, Trigger = 0, BlocksOnload = false },
                new GraphResource { Exchange = never.Id, Url = never.Url, Trigger = 0, Requested = false, BlocksOnload = false },
            ],
        }.Write(Path.Combine(snapshot.Directory!, LoadGraph.FileName));
        var page = SnapshotPage.From(snapshot);
        await using var server = await ReplayServer.StartAsync(snapshot);

        var result = await PageLoader.LoadAsync(page, ReplayServer.Options(server.Http11), CancellationToken.None);

        var byUrl = result.ResourceList.ToDictionary(r => r.Url);
        var document = byUrl["http://www.test.example/"];
        Assert.Multiple(() =>
        {
            Assert.That(result.TimingModel, Does.StartWith("load graph"));
            Assert.That(result.Failed, Is.Zero);
            Assert.That(document.Start, Is.GreaterThanOrEqualTo(150), "the document is asked for after the navigation work");
            Assert.That(byUrl[delayed.Url].Start, Is.GreaterThanOrEqualTo(document.End + 400 - 0.5), "the image waits for the browser's recorded work");
            Assert.That(byUrl["http://img.test.example/i/3.jpg"].Start, Is.LessThan(document.End + 400), "an image without recorded work does not wait");
            Assert.That(byUrl.ContainsKey(never.Url), Is.False, "what Chromium never asked for is not loaded");
            Assert.That(server.Requests.Any(r => r.Target == "/i/2.jpg"), Is.False);
            var lastBlocking = result.ResourceList.Where(r => r.Url != late.Url).Max(r => r.End);
            Assert.That(result.PageLoadTimeMs, Is.EqualTo(lastBlocking + 200).Within(0.01), "the load event: the last response that holds it, then the onload work");
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_GraphOfAnotherManifest_IsNotUsed_AndSaysSo()
    {
        var snapshot = Persist(TestPages.Build(images: 2), Path.Combine(_folder, "page"));
        new LoadGraph { Site = snapshot.Name, ManifestSha256 = new string('0', 64), NavigationMs = 5000 }
            .Write(Path.Combine(snapshot.Directory!, LoadGraph.FileName));
        var warnings = new List<string>();

        var page = SnapshotPage.From(snapshot, warnings.Add);

        Assert.That(page.TimingModel, Is.EqualTo("heuristic"));
        Assert.That(page.NavigationDelayMs, Is.Zero);
        Assert.That(warnings.Single(), Does.Contain("spdylab sites calibrate testpage"));
    }

    [Test]
    public void From_NoGraph_XhrDoesNotHoldTheLoadEvent_EverythingElseDoes()
    {
        var snapshot = TestPages.Build(images: 2);
        snapshot.Exchanges[^1].Type = "xhr";
        var page = SnapshotPage.From(snapshot);
        Assert.That(page.Resources.Where(r => !r.BlocksOnload).Select(r => r.Url), Is.EqualTo(new[] { snapshot.Exchanges[^1].Url }));
    }
}
