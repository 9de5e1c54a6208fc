namespace SpdyLab.Interop.Tests.Server;

/// <summary>curl and nghttp speaking h2 and HTTP/1.1 to the same TLS port as the SPDY clients (Kestrel's own protocols).</summary>
[NonParallelizable]
public class HttpToolsAgainstServeTests
{
    private ServeFixture _serve = null!;

    [OneTimeSetUp]
    public async Task Start() => _serve = await ServeFixture.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _serve.DisposeAsync();

    private static string Require(string program) =>
        ServeFixture.FindProgram(program) ?? throw new IgnoreException($"{program} is not installed: run scripts/install-deps.sh");

    [TestCase("--http2", "2")]
    [TestCase("--http1.1", "1.1")]
    [CancelAfter(30000)]
    public async Task Curl_TlsPortVerifiedByLabCa_ServesFileWithoutPushHeader(string flag, string expectedVersion)
    {
        var curl = Require("curl");
        var url = $"https://localhost:{_serve.Tls.Port}/index.html";
        var output = Path.Combine(_serve.Home, $"curl-{expectedVersion}.out");

        var (exit, stdout, stderr) = await ServeFixture.RunAsync(curl,
            ["-sS", flag, "--cacert", _serve.RootCertificate, "-D", "-", "-o", output, "-w", "version=%{http_version}\n", url], TimeSpan.FromSeconds(20));

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain($"version={expectedVersion}"));
        Assert.That(stdout, Does.Not.Contain("x-associated-content").IgnoreCase);
        Assert.That(await File.ReadAllTextAsync(output), Is.EqualTo(await File.ReadAllTextAsync(Path.Combine(_serve.Site, "index.html"))));
    }

    [Test, CancelAfter(30000)]
    public async Task Curl_CleartextPortHttp11_ServesFile()
    {
        var curl = Require("curl");
        var (exit, stdout, stderr) = await ServeFixture.RunAsync(curl,
            ["-sS", "--http1.1", $"http://127.0.0.1:{_serve.Plain.Port}/style.css"], TimeSpan.FromSeconds(20));

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Is.EqualTo("body { color: #123456 }"));
    }

    [Test, CancelAfter(30000)]
    public async Task Nghttp_TlsPort_NegotiatesH2AndGets200()
    {
        var nghttp = Require("nghttp");
        var (exit, stdout, stderr) = await ServeFixture.RunAsync(nghttp,
            ["-nv", "--timeout=15", $"https://localhost:{_serve.Tls.Port}/big.bin"], TimeSpan.FromSeconds(20));

        Assert.That(exit, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Contain("The negotiated protocol: h2"));
        Assert.That(stdout, Does.Contain(":status: 200"));
    }
}
