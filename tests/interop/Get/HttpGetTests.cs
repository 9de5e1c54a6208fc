using SpdyLab.Interop.Tests.Support;

namespace SpdyLab.Interop.Tests.Get;

/// <summary>`spdylab get` over h2 and HTTP/1.1 (through .NET's HttpClient) against Kestrel.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class HttpGetTests
{
    private TestCertificate _certificate = null!;
    private KestrelPeer _peer = null!;

    [OneTimeSetUp]
    public async Task StartPeer()
    {
        _certificate = TestCertificate.Create();
        _peer = await KestrelPeer.StartAsync(_certificate);
    }

    [OneTimeTearDown]
    public async Task StopPeer()
    {
        await _peer.DisposeAsync();
        _certificate.Dispose();
    }

    [Test]
    public async Task Get_HttpsWithoutPin_NegotiatesH2AndChecksBodies()
    {
        var sizes = new[] { 5, 70_000, 300_000 };
        var result = await GetRunner.RunAsync(["--json", "--cacert", _certificate.CertPemFile, .. sizes.Select(n => $"https://localhost:{_peer.TlsPort}/bytes/{n}")]);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var lines = result.JsonLines;
        Assert.That(lines, Has.Count.EqualTo(sizes.Length));
        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.That(lines[i].GetProperty("protocol").GetString(), Is.EqualTo("h2"));
            Assert.That(lines[i].GetProperty("status").GetInt32(), Is.EqualTo(200));
            Assert.That(lines[i].GetProperty("length").GetInt64(), Is.EqualTo(sizes[i]));
            Assert.That(lines[i].GetProperty("sha256").GetString(), Is.EqualTo(PeerBodies.Sha256(sizes[i])));
        }
    }

    [TestCase("h2"), TestCase("http/1.1")]
    public async Task Get_ExplicitHostHeader_IsTheAuthorityTheServerSees(string protocol)
    {
        var result = await GetRunner.RunAsync("--protocol", protocol, "-k", "-H", "Host: example.com", $"https://localhost:{_peer.TlsPort}/host");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("example.com"), "curl -H 'Host: x' semantics: the header names the authority (h2 :authority)");
    }

    [Test]
    public async Task Get_HttpsPinnedHttp11_ServerSeesHttp11()
    {
        var result = await GetRunner.RunAsync("--protocol", "http/1.1", "-k", $"https://localhost:{_peer.TlsPort}/proto");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("HTTP/1.1"));
    }

    [Test]
    public async Task Get_HttpCleartextH2_UsesPriorKnowledgeHttp2()
    {
        var result = await GetRunner.RunAsync("--protocol", "h2", $"http://127.0.0.1:{_peer.Http2Port}/proto");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("HTTP/2"));
    }

    [Test]
    public async Task Get_HttpCleartextHttp11ManyUrls_AllBodiesCorrect()
    {
        var urls = Enumerable.Range(1, 20).Select(i => $"http://127.0.0.1:{_peer.Http1Port}/bytes/{i * 1000}").ToArray();
        var result = await GetRunner.RunAsync(["--protocol", "http/1.1", "--json", .. urls]);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var lines = result.JsonLines;
        Assert.That(lines.Select(l => l.GetProperty("sha256").GetString()), Is.EqualTo(Enumerable.Range(1, 20).Select(i => PeerBodies.Sha256(i * 1000))));
        Assert.That(lines.Select(l => l.GetProperty("protocol").GetString()).Distinct(), Is.EqualTo(new[] { "http/1.1" }));
    }

    [Test]
    public async Task Get_UntrustedCertificate_FailsSayingTls()
    {
        var result = await GetRunner.RunAsync($"https://localhost:{_peer.TlsPort}/bytes/10");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("TLS handshake").And.Contain("--cacert"));
    }

    [Test]
    public async Task Get_ResolveOverride_ConnectsToGivenAddress()
    {
        var result = await GetRunner.RunAsync("-k", "--json", "--resolve", $"lab.example:{_peer.TlsPort}:127.0.0.1", $"https://lab.example:{_peer.TlsPort}/bytes/1000");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.JsonLines[0].GetProperty("sha256").GetString(), Is.EqualTo(PeerBodies.Sha256(1000)));
    }

    [Test]
    public async Task Get_OutputDir_WritesEachBodyUnderItsLastSegment()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"spdylab-get-{Guid.NewGuid():N}");
        try
        {
            var result = await GetRunner.RunAsync("-k", "--output-dir", directory, $"https://localhost:{_peer.TlsPort}/bytes/1234", $"https://localhost:{_peer.TlsPort}/bytes/77");

            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(File.ReadAllBytes(Path.Combine(directory, "1234")), Is.EqualTo(PeerBodies.Bytes(1234)));
            Assert.That(File.ReadAllBytes(Path.Combine(directory, "77")), Is.EqualTo(PeerBodies.Bytes(77)));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, true);
            }
        }
    }

    [Test]
    public async Task Get_FailAndNotFoundStatus_ExitsWith22()
    {
        var withFail = await GetRunner.RunAsync("-k", "--fail", $"https://localhost:{_peer.TlsPort}/status/404");
        var withoutFail = await GetRunner.RunAsync("-k", $"https://localhost:{_peer.TlsPort}/status/404");

        Assert.That(withFail.ExitCode, Is.EqualTo(22), withFail.ToString());
        Assert.That(withoutFail.ExitCode, Is.Zero, withoutFail.ToString());
    }

    [Test]
    public async Task Get_IncludeHeaders_PrintsStatusLineAndHeadersBeforeBody()
    {
        var result = await GetRunner.RunAsync("-k", "-i", $"https://localhost:{_peer.TlsPort}/status/201");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.StartWith("HTTP/2.0 201"));
        Assert.That(result.Stdout, Does.Contain("content-type: text/plain").And.EndWith("\n\nstatus 201\n"));
    }

    [Test]
    public async Task Get_SpdyToAnHttp11OnlyServer_FailsFastSayingWhatWentWrong()
    {
        var result = await GetRunner.RunAsync("--timeout", "10", $"http://127.0.0.1:{_peer.Http1Port}/bytes/10");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("SPDY"), result.ToString());
        Assert.That(result.Stderr, Does.Not.Contain("timed out"), result.ToString());
    }

    [Test]
    public async Task Get_ConnectionRefused_ExitsOneSayingCannotConnect()
    {
        var result = await GetRunner.RunAsync("--protocol", "http/1.1", "http://127.0.0.1:1/");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("cannot connect to 127.0.0.1"));
    }
}
