using System.Text.Json;
using SpdyLab.Interop.Tests.Support;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Interop.Tests.Server;

/// <summary>node-spdy (spdy-transport, via tools/peers/spdy-client.js) fetching from `spdylab serve`.</summary>
[NonParallelizable]
public class NodeSpdyClientAgainstServeTests
{
    private ServeFixture _serve = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        NodePeers.RequireNodeSpdy();
        _serve = await ServeFixture.StartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_serve is not null)
        {
            await _serve.DisposeAsync();
        }
    }

    internal static async Task<List<JsonElement>> FetchAsync(string[] arguments)
    {
        var (exit, stdout, stderr) = await ServeFixture.RunAsync(NodePeers.FindNode()!,
            [Path.Combine(NodePeers.PeersDirectory, "spdy-client.js"), "--timeout", "15000", .. arguments], TimeSpan.FromSeconds(30), NodePeers.PeersDirectory);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.That(exit, Is.EqualTo(0), $"spdy-client.js {string.Join(' ', arguments)}\nstdout: {stdout}\nstderr: {stderr}");
        return lines;
    }

    internal static void AssertPageWithPush(ServeFixture serve, List<JsonElement> lines, string protocol)
    {
        var page = lines.Single(l => l.GetProperty("url").GetString()!.EndsWith("/index.html", StringComparison.Ordinal));
        var big = lines.Single(l => l.GetProperty("url").GetString()!.EndsWith("/big.bin", StringComparison.Ordinal));
        Assert.That(page.GetProperty("protocol").GetString(), Is.EqualTo(protocol));
        Assert.That(page.GetProperty("status").GetInt32(), Is.EqualTo(200));
        Assert.That(page.GetProperty("sha256").GetString(), Is.EqualTo(serve.Sha256Of("index.html")));
        Assert.That(page.GetProperty("headers").TryGetProperty("x-associated-content", out _), Is.False);
        Assert.That(big.GetProperty("status").GetInt32(), Is.EqualTo(200));
        Assert.That(big.GetProperty("length").GetInt32(), Is.EqualTo(300_000));
        Assert.That(big.GetProperty("sha256").GetString(), Is.EqualTo(serve.Sha256Of("big.bin")));
        var pushed = page.GetProperty("pushed").EnumerateArray().ToList();
        Assert.That(pushed, Has.Count.EqualTo(1), page.ToString());
        Assert.That(pushed[0].GetProperty("path").GetString(), Does.EndWith("/style.css"));
        Assert.That(pushed[0].GetProperty("status").GetInt32(), Is.EqualTo(200));
        Assert.That(pushed[0].GetProperty("sha256").GetString(), Is.EqualTo(serve.Sha256Of("style.css")));
    }

    [TestCase("spdy/2"), TestCase("spdy/3"), TestCase("spdy/3.1")]
    [CancelAfter(40000)]
    public async Task NodeSpdy_Tls_FetchesPageBigFileAndPush(string protocol)
    {
        var authority = _serve.Tls.GetLeftPart(UriPartial.Authority).Replace("127.0.0.1", "localhost");
        var lines = await FetchAsync(["-k", "--protocol", protocol, $"{authority}/index.html", $"{authority}/big.bin"]);

        AssertPageWithPush(_serve, lines, protocol);
    }

    [TestCase("spdy/2"), TestCase("spdy/3"), TestCase("spdy/3.1")]
    [CancelAfter(40000)]
    public async Task NodeSpdy_Cleartext_FetchesPageBigFileAndPush(string protocol)
    {
        var authority = _serve.Plain.GetLeftPart(UriPartial.Authority);
        var lines = await FetchAsync(["--plain", "--protocol", protocol, $"{authority}/index.html", $"{authority}/big.bin"]);

        AssertPageWithPush(_serve, lines, protocol);
    }

    /// <summary>
    /// Every version on both transports, with the server's defaults (a cleartext wire-version-3 peer decides 3
    /// or 3.1 by its own behaviour): two of each flow-control edge size at once on one session, so the streams
    /// together pass the 64 KB default stream and session windows several times over.
    /// </summary>
    [Test, CancelAfter(40000)]
    public async Task NodeSpdy_EdgeSizesConcurrentlyOnOneSession_AllArriveIntact(
        [Values("spdy/2", "spdy/3", "spdy/3.1")] string protocol, [Values(false, true)] bool tls)
    {
        var authority = tls
            ? _serve.Tls.GetLeftPart(UriPartial.Authority).Replace("127.0.0.1", "localhost")
            : _serve.Plain.GetLeftPart(UriPartial.Authority);
        var paths = ServeFixture.EdgeSizes.SelectMany(size => new[] { $"/edge-{size}.bin", $"/edge-{size}.bin?again" }).ToList();

        var lines = await FetchAsync([tls ? "-k" : "--plain", "--protocol", protocol, .. paths.Select(p => authority + p)]);

        Assert.That(lines, Has.Count.EqualTo(paths.Count));
        foreach (var line in lines)
        {
            var url = new Uri(line.GetProperty("url").GetString()!);
            var size = int.Parse(url.AbsolutePath["/edge-".Length..^".bin".Length]);
            Assert.That(line.TryGetProperty("error", out var error), Is.False, $"{url}: {error}");
            Assert.That(line.GetProperty("protocol").GetString(), Is.EqualTo(protocol));
            Assert.That(line.GetProperty("length").GetInt32(), Is.EqualTo(size), url.ToString());
            Assert.That(line.GetProperty("sha256").GetString(), Is.EqualTo(_serve.Sha256Of($"edge-{size}.bin")), url.ToString());
        }
    }

    [Test, CancelAfter(40000)]
    public async Task NodeSpdy_CleartextSpdy31WithPlainV3Spdy31_FetchesPageBigFileAndPush()
    {
        await using var serve = await ServeFixture.StartAsync(SpdyWireVersion.Spdy31);
        var authority = serve.Plain.GetLeftPart(UriPartial.Authority);

        var lines = await FetchAsync(["--plain", "--protocol", "spdy/3.1", $"{authority}/index.html", $"{authority}/big.bin"]);

        AssertPageWithPush(serve, lines, "spdy/3.1");
    }

    [Test, CancelAfter(40000)]
    public async Task NodeSpdy_CleartextSpdy3WithPlainV3Spdy3_FetchesPageBigFileAndPush()
    {
        await using var serve = await ServeFixture.StartAsync(SpdyWireVersion.Spdy3);
        var authority = serve.Plain.GetLeftPart(UriPartial.Authority);

        var lines = await FetchAsync(["--plain", "--protocol", "spdy/3", $"{authority}/index.html", $"{authority}/big.bin"]);

        AssertPageWithPush(serve, lines, "spdy/3");
    }

    [Test, CancelAfter(40000)]
    public async Task NodeSpdy_TlsAlpnChoice_ServerPrefersSpdy31()
    {
        var authority = _serve.Tls.GetLeftPart(UriPartial.Authority);
        var lines = await FetchAsync(["-k", $"{authority}/big.bin"]);

        Assert.That(lines.Single().GetProperty("protocol").GetString(), Is.EqualTo("spdy/3.1"));
    }
}
