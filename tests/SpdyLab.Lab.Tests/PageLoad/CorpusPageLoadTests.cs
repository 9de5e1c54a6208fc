using SpdyLab.Client.PageLoad;
using SpdyLab.Lab.Loading;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.PageLoad;

/// <summary>Generated corpus sites (sites/corpus) loaded in each mode: every recorded resource exactly once.</summary>
public class CorpusPageLoadTests
{
    private static string CorpusFolder(string site)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SpdyLab.sln")))
            {
                return Path.Combine(dir.FullName, "sites", "corpus", site);
            }
        }

        throw new DirectoryNotFoundException("repository root (SpdyLab.sln) not found above " + AppContext.BaseDirectory);
    }

    private static Snapshot Load(string site)
    {
        var folder = CorpusFolder(site);
        if (!File.Exists(Path.Combine(folder, Snapshot.ManifestFileName)))
        {
            Assert.Ignore($"corpus site {site} not found at {folder}");
        }

        return Snapshot.Load(folder);
    }

    private static void AssertComplete(PageDescription page, PageLoadResult result, IEnumerable<string> serverUrls, string mode)
    {
        Assert.That(result.Failed, Is.Zero, mode + ": " + string.Join("\n", result.ResourceList.Where(r => r.Error is not null).Take(5).Select(r => $"{r.Url}: {r.Error}")));
        Assert.That(result.ResourceList.Select(r => r.Url), Is.EquivalentTo(page.Resources.Select(r => r.Url)), mode + ": every recorded resource loaded once");
        Assert.That(serverUrls, Is.EquivalentTo(page.Resources.Select(r => r.Url)), mode + ": the server answered each URL once");
    }

    [TestCase("cnn")]
    [TestCase("google")]
    [TestCase("yahoo")]
    [CancelAfter(120_000)]
    public async Task Load_CorpusSite_EveryResourceExactlyOnceInEachMode(string site)
    {
        var snapshot = Load(site);
        var page = SnapshotPage.From(snapshot);

        await using (var http = await ReplayServer.StartAsync(snapshot))
        {
            var result = await PageLoader.LoadAsync(page, ReplayServer.Options(http.Http11), CancellationToken.None);
            AssertComplete(page, result, http.Requests.Select(r => $"http://{r.Host}{r.Target}"), "http/1.1");
            Assert.That(result.MaxConnectionsPerHost, Is.LessThanOrEqualTo(6));
        }

        foreach (var (mode, feature, single) in new[] { (ReplayMode.Plain, "plain", false), (ReplayMode.Plain, "prefetch", true), (ReplayMode.Push, "push", true), (ReplayMode.Hint, "hint", true) })
        {
            await using var spdy = await SpdyPageLoadTests.SpdyReplayServer.StartAsync(snapshot, mode);
            var result = await PageLoader.LoadAsync(page, SpdyPageLoadTests.Options(spdy.Endpoint, "spdy/3.1", single, feature), CancellationToken.None);
            AssertComplete(page, result, spdy.Requests.Select(r => $"http://{r.Host}{r.Target}"), $"spdy/3.1 {feature}");
            Assert.That(result.Connections, Is.EqualTo(single ? 1 : page.Resources.Select(r => r.Uri.Host).Distinct().Count()));
        }
    }
}
