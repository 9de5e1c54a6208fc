using SpdyLab.Lab.Bench;

namespace SpdyLab.Lab.Tests.Bench;

public class ServerBenchTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task RunAsync_OneShortCell_EveryServerAnswersCorrectBodies(CancellationToken cancellationToken)
    {
        var peers = Path.Combine(RepositoryRoot.Path, "tools", "peers");
        var settings = new ServerBenchSettings
        {
            Seconds = 1,
            Sizes = [100 * 1024],
            Loads = [new BenchLoad(2, 5)],
            PeersDirectory = peers,
        };

        var results = await ServerBench.RunAsync(settings, cancellationToken);

        Assert.That(results.Select(r => r.Cell.Target), Is.EquivalentTo(Enum.GetValues<BenchTarget>()));
        // h2load and node-spdy come from scripts/install-deps.sh; without them those cells say skipped.
        var nodeInstalled = Directory.Exists(Path.Combine(peers, "node_modules", "spdy"));
        foreach (var result in results)
        {
            if (result.Skipped && (result.Cell.Target == BenchTarget.Http2KestrelH2load || (result.Cell.Target == BenchTarget.SpdyNode && !nodeInstalled)))
            {
                continue;
            }
            Assert.Multiple(() =>
            {
                Assert.That(result.Requests, Is.GreaterThan(0), $"{result.Cell}: {result.Note}");
                Assert.That(result.BadBodies, Is.Zero, $"{result.Cell}: {result.Note}");
                Assert.That(result.Errors, Is.Zero, $"{result.Cell}: {result.Note}");
            });
        }

        var markdown = BenchReport.Render(settings, results, DateTimeOffset.UtcNow, "0 0 0", "0 0 0", null);
        Assert.That(markdown, Does.Contain("| 100 KB | 2x5 | SPDY/3.1 (ours) | SpdyClientConnection |"));
        Assert.That(markdown, Does.Contain("| 100 KB | 2x5 | SPDY/3.1 (ours) | raw frames |"));
        Assert.That(markdown, Does.Contain("| 100 KB | 2x5 | HTTP/2 (Kestrel) | raw frames |"));
        Assert.That(markdown, Does.Contain($"| 100 KB | 2x5 | {BenchCell.StoredHeadersServer} | raw frames |"));
        Assert.That(markdown, Does.Contain("SPDY(ours)/HTTP/2(Kestrel)"));
    }
}
