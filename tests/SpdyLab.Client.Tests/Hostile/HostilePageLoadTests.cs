using System.Diagnostics;
using System.Net;
using SpdyLab.Client.PageLoad;
using SpdyLab.Protocol;

namespace SpdyLab.Client.Tests.Hostile;

/// <summary>The page loader over SPDY against a hostile server: the load returns (never hangs or throws) within
/// its page timeout plus a margin, with the failure recorded.</summary>
[CancelAfter(30_000)]
public sealed class HostilePageLoadTests
{
    private static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(2);

    private static async Task<(PageLoadResult Result, TimeSpan Elapsed)> LoadAsync(HostileSpdyServer server)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, server.Origin.Port);
        var document = new PageResource(new Uri(server.Origin, "/").AbsoluteUri, ResourceType.Document, []);
        var page = new PageDescription("hostile", document, []);
        var clock = Stopwatch.StartNew();
        var result = await PageLoader.LoadAsync(page, new PageLoadOptions { Protocol = "spdy/3.1", Hosts = HostMap.All(endpoint), Timeout = PageTimeout }, CancellationToken.None);
        return (result, clock.Elapsed);
    }

    [Test]
    public async Task ServerStallsMidDocument_LoadEndsAtThePageTimeoutWithTheFailureRecorded()
    {
        await using var server = new HostileSpdyServer(SpdyProtocolProfile.Spdy31, async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            await peer.ReplyAsync(request.Id, headers: [new("content-type", "text/html")]);
            await peer.DataAsync(request.Id, 500);
            await peer.DrainAsync(ct); // the rest of the document never comes
        });

        var (result, elapsed) = await LoadAsync(server);

        TestContext.Out.WriteLine($"timed out: {result.TimedOut}, failed: {result.Failed}, {elapsed.TotalMilliseconds:F0} ms");
        Assert.That(result.TimedOut || result.Failed > 0, Is.True, "the stalled document is a failure");
        Assert.That(elapsed, Is.LessThan(PageTimeout + TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task ServerPushesWithoutEnd_LoadEndsAndPushesStayBounded()
    {
        await using var server = new HostileSpdyServer(SpdyProtocolProfile.Spdy31, async (peer, ct) =>
        {
            var request = await peer.ExpectRequestAsync(ct);
            var drain = Task.Run(() => peer.DrainAsync(ct), ct);
            await peer.ReplyAsync(request.Id, headers: [new("content-type", "text/html")]);
            for (var i = 0; i < 20000 && !drain.IsCompleted; i++)
            {
                await peer.PushAsync(request.Id, 2 + 2 * i, $"/p{i}.css");
            }

            await peer.DataAsync(request.Id, 100, fin: true);
            await drain;
        });

        var (result, elapsed) = await LoadAsync(server);

        TestContext.Out.WriteLine($"timed out: {result.TimedOut}, failed: {result.Failed}, pushes received {result.Pushes.Received}, {elapsed.TotalMilliseconds:F0} ms");
        Assert.That(elapsed, Is.LessThan(PageTimeout + TimeSpan.FromSeconds(5)));
        Assert.That(result.Pushes.Received, Is.LessThanOrEqualTo(new ClientOptions().MaxPushesPerConnection));
    }
}
