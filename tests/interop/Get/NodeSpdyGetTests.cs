using System.Security.Cryptography;
using System.Text.Json;
using SpdyLab.Interop.Tests.Support;

namespace SpdyLab.Interop.Tests.Get;

/// <summary>
/// `spdylab get` against node-spdy 4.0.2 (tools/peers/spdy-server.js) for SPDY/2, /3 and /3.1, cleartext and
/// TLS (ALPN pinned to the version). node-spdy as deployed: without spdy-server.js's SPDY/2 window fix, so its
/// SPDY/2 sessions keep the 64 KB stream send window it waits on WINDOW_UPDATE for (docs/client.md quirk 2).
/// Skipped with a message when node or npm `spdy` is missing.
/// </summary>
[TestFixture("spdy/3.1", false)]
[TestFixture("spdy/3", false)]
[TestFixture("spdy/2", false)]
[TestFixture("spdy/3.1", true)]
[TestFixture("spdy/3", true)]
[TestFixture("spdy/2", true)]
[CancelAfter(60_000)]
public sealed class NodeSpdyGetTests(string protocol, bool tls)
{
    private TestCertificate? _certificate;
    private NodeSpdyServer _server = null!;

    private string Origin => tls ? $"https://localhost:{_server.Port}" : $"http://127.0.0.1:{_server.Port}";

    /// <summary>What node-spdy says it speaks (x-spdy-version): in cleartext it cannot tell 3.1 from 3 (docs/client.md quirk 1).</summary>
    private string ExpectedServerVersion => protocol switch
    {
        "spdy/2" => "2",
        "spdy/3" => "3",
        _ => tls ? "3.1" : "3",
    };

    [OneTimeSetUp]
    public async Task StartServer()
    {
        NodePeers.RequireNodeSpdy();
        if (tls)
        {
            _certificate = TestCertificate.Create();
            _server = await NodeSpdyServer.StartAsync("--tls", "--key", _certificate.KeyPemFile, "--cert", _certificate.CertPemFile, "--verbose", "--no-v2-fix");
        }
        else
        {
            _server = await NodeSpdyServer.StartAsync("--plain", "--verbose", "--no-v2-fix");
        }
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _certificate?.Dispose();
    }

    private Task<GetRunner.Result> GetAsync(params string[] arguments)
    {
        var common = new List<string> { "--protocol", protocol, "--timeout", "30" };
        if (tls)
        {
            common.AddRange(["--cacert", _certificate!.CertPemFile]);
        }

        return GetRunner.RunAsync([.. common, .. arguments]);
    }

    private string Diagnostics(GetRunner.Result result) => $"{result}\nnode-spdy stderr:\n{_server.Stderr}";

    [Test]
    public async Task Get_BodiesFromBytesToHundredsOfKilobytes_LengthAndSha256Match()
    {
        int[] sizes = [1, 100, 8192, 65_535, 65_537, 300_000, 600_000];

        var result = await GetAsync(["--json", .. sizes.Select(n => $"{Origin}/bytes/{n}")]);

        Assert.That(result.ExitCode, Is.Zero, Diagnostics(result));
        var lines = result.JsonLines;
        Assert.That(lines, Has.Count.EqualTo(sizes.Length));
        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.That(lines[i].GetProperty("status").GetInt32(), Is.EqualTo(200));
            Assert.That(lines[i].GetProperty("protocol").GetString(), Is.EqualTo(protocol));
            Assert.That(lines[i].GetProperty("length").GetInt64(), Is.EqualTo(sizes[i]), $"/bytes/{sizes[i]}");
            Assert.That(lines[i].GetProperty("sha256").GetString(), Is.EqualTo(PeerBodies.Sha256(sizes[i])), $"/bytes/{sizes[i]}");
            Assert.That(lines[i].GetProperty("headers").GetProperty("x-spdy-version").GetString(), Is.EqualTo(ExpectedServerVersion));
        }
    }

    [Test]
    public async Task Get_FiftyFiveUrls_RunConcurrentlyOnOneSession()
    {
        var sizes = Enumerable.Range(1, 55).Select(i => i * 997).ToArray();

        var result = await GetAsync(["--json", .. sizes.Select(n => $"{Origin}/bytes/{n}")]);

        Assert.That(result.ExitCode, Is.Zero, Diagnostics(result));
        var lines = result.JsonLines;
        Assert.That(lines.Select(l => l.GetProperty("sha256").GetString()), Is.EqualTo(sizes.Select(PeerBodies.Sha256)));
        // Stream ids restart at 1 in every session: 55 distinct odd ids from 1 to 109 means one session.
        Assert.That(lines.Select(l => l.GetProperty("streamId").GetInt32()).Order(), Is.EqualTo(Enumerable.Range(0, 55).Select(i => 1 + (2 * i))));
    }

    [Test]
    public async Task Get_PagePushingAResource_ReportsThePushedStream()
    {
        var result = await GetAsync("--json", $"{Origin}/push/5000");

        Assert.That(result.ExitCode, Is.Zero, Diagnostics(result));
        var line = result.JsonLines.Single();
        Assert.That(line.GetProperty("status").GetInt32(), Is.EqualTo(200));
        var pushed = line.GetProperty("pushed").EnumerateArray().ToList();
        Assert.That(pushed, Has.Count.EqualTo(1), Diagnostics(result));
        Assert.That(pushed[0].GetProperty("url").GetString(), Does.EndWith("/pushed/5000"));
        Assert.That(pushed[0].GetProperty("status").GetInt32(), Is.EqualTo(200));
        Assert.That(pushed[0].GetProperty("length").GetInt64(), Is.EqualTo(5000));
        Assert.That(pushed[0].GetProperty("sha256").GetString(), Is.EqualTo(PeerBodies.Sha256(5000)));
        Assert.That(pushed[0].GetProperty("streamId").GetInt32() % 2, Is.Zero, "server-initiated streams have even ids");
    }

    [TestCase(40_000), TestCase(65_537), TestCase(300_000)]
    public async Task Get_PostBody_ServerReceivesItIntact(int size)
    {
        // Over 64 KB: node-spdy's cleartext server runs a 3.1 client as SPDY/3 and never credits the session
        // window (quirk 1); in SPDY/2 it credits stream windows the spec does not have (quirk 2).
        var body = PeerBodies.Bytes(size);
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, body);
        try
        {
            var result = await GetAsync("--data-file", file, $"{Origin}/echo");

            Assert.That(result.ExitCode, Is.Zero, Diagnostics(result));
            using var echo = JsonDocument.Parse(result.Stdout);
            Assert.That(echo.RootElement.GetProperty("length").GetInt32(), Is.EqualTo(body.Length));
            Assert.That(echo.RootElement.GetProperty("sha256").GetString(), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(body))));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Get_PlainGet_SendsNoBodyAndTheExtraHeader()
    {
        var result = await GetAsync("-H", "X-Lab: 1", $"{Origin}/headers");

        Assert.That(result.ExitCode, Is.Zero, Diagnostics(result));
        using var headers = JsonDocument.Parse(result.Stdout);
        Assert.That(headers.RootElement.TryGetProperty("content-length", out _), Is.False, result.Stdout);
        Assert.That(headers.RootElement.GetProperty("x-lab").GetString(), Is.EqualTo("1"));
    }

    [Test]
    public async Task Get_ExplicitHostHeader_IsSentAsTheSpdyHost()
    {
        var result = await GetAsync("-H", "Host: example.com", $"{Origin}/headers");

        Assert.That(result.ExitCode, Is.Zero, Diagnostics(result));
        using var headers = JsonDocument.Parse(result.Stdout);
        // node-spdy turns :host (SPDY/2: host) into the request's Host header.
        Assert.That(headers.RootElement.GetProperty("host").GetString(), Is.EqualTo("example.com"), result.Stdout);
    }

    [Test]
    public async Task Get_Verbose_TracesFramesOnStderr()
    {
        var result = await GetAsync("-v", "--json", $"{Origin}/bytes/10");

        Assert.That(result.ExitCode, Is.Zero, Diagnostics(result));
        Assert.That(result.Stderr, Does.Contain("SYN_STREAM").And.Contain("SYN_REPLY"));
    }

    [Test]
    public async Task Get_NotFoundWithFail_Exits22()
    {
        var result = await GetAsync("--fail", $"{Origin}/nothing-here");

        Assert.That(result.ExitCode, Is.EqualTo(22), Diagnostics(result));
    }
}

/// <summary>ALPN without a pinned protocol: node-spdy prefers spdy/3.1 among the client's offer.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class NodeSpdyNegotiationTests
{
    [Test]
    public async Task Get_HttpsWithoutPin_NegotiatesSpdy31()
    {
        NodePeers.RequireNodeSpdy();
        using var certificate = TestCertificate.Create();
        await using var server = await NodeSpdyServer.StartAsync("--tls", "--key", certificate.KeyPemFile, "--cert", certificate.CertPemFile);

        var result = await GetRunner.RunAsync("--json", "--cacert", certificate.CertPemFile, $"https://localhost:{server.Port}/bytes/1000");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var line = result.JsonLines.Single();
        Assert.That(line.GetProperty("protocol").GetString(), Is.EqualTo("spdy/3.1"));
        Assert.That(line.GetProperty("headers").GetProperty("x-spdy-version").GetString(), Is.EqualTo("3.1"));
    }

    [Test]
    public async Task Get_ServerWithoutTheOfferedProtocol_FailsSayingTls()
    {
        NodePeers.RequireNodeSpdy();
        using var certificate = TestCertificate.Create();
        await using var server = await NodeSpdyServer.StartAsync("--tls", "--key", certificate.KeyPemFile, "--cert", certificate.CertPemFile, "--protocols", "spdy/3");

        var result = await GetRunner.RunAsync("--protocol", "spdy/2", "-k", $"https://localhost:{server.Port}/bytes/10");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("TLS handshake"));
    }
}
