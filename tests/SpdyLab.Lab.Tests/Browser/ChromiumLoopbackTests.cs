using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Tests.Runner;
using SpdyLab.Server.Certificates;
using SpdyLab.Server.Hosting;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.Browser;

/// <summary>
/// The launcher without worlds: Chromium against the lab's replay server on loopback (TLS from the lab CA),
/// host names mapped by --host-resolver-rules, the CA trusted by SPKI hash, HTTP/1.1 or h2 as asked.
/// </summary>
[NonParallelizable]
public class ChromiumLoopbackTests
{
    private string directory = "";

    [SetUp]
    public void CreateSite()
    {
        if (ChromiumLauncher.WhyUnavailable() is { } problem) Assert.Ignore(problem);
        directory = Directory.CreateTempSubdirectory("spdylab-chromium-").FullName;
        TestSites.Write(Path.Combine(directory, "sites"), "alpha", images: 5);
    }

    [TearDown]
    public void Delete()
    {
        if (directory.Length > 0) Directory.Delete(directory, recursive: true);
    }

    [TestCase("h2"), TestCase("http/1.1")]
    [CancelAfter(90_000)]
    public async Task LoadAsync_TlsWithLabCa_NegotiatesTheProtocolAskedFor_AndTimesEveryResource(string protocol, CancellationToken cancellationToken)
    {
        var snapshot = Snapshot.Load(Path.Combine(directory, "sites", "alpha"));
        var authority = LabCertificateAuthority.OpenOrCreate(Path.Combine(directory, "ca"));
        var certificate = authority.IssueServerCertificate(["www.alpha.test", "static.alpha.test"]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSpdy();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseSpdyTls(certificate, [authority.Root])));
        await using var app = builder.Build();
        app.UseSnapshotReplay(new SnapshotReplayOptions { Snapshot = snapshot });
        await app.StartAsync(cancellationToken);
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

        var har = Path.Combine(directory, "load.har");
        var options = new ChromiumOptions
        {
            Hosts = new Dictionary<string, IPEndPoint> { ["*"] = new(IPAddress.Loopback, port) },
            KeepUrlPort = false,
            TrustedSpkiHashes = [authority.RootSpkiHash, authority.LeafSpkiHash],
        };
        var result = await ChromiumPageLoad.LoadAsync("https://www.alpha.test/", protocol, options, har, TimeSpan.FromSeconds(30), cancellationToken);

        Assert.That(result.TimedOut, Is.False, result.Error);
        Assert.That(result.NegotiatedProtocol, Is.EqualTo(protocol));
        var expected = snapshot.Exchanges.Where(e => e.Type != "document").Select(e => "https://" + e.Host + e.Path).Order().ToList();
        // Chromium asks for /favicon.ico on its own (a 404 here); everything else is the snapshot's.
        Assert.That(result.Resources.Select(r => r.Url).Where(u => !u.EndsWith("/favicon.ico", StringComparison.Ordinal)).Order().ToList(),
            Is.EqualTo(expected));
        Assert.That(result.OtherProtocolUrls, Is.Empty);
        Assert.That(result.LoadEventEndMs, Is.GreaterThanOrEqualTo(result.ResponseStartMs).And.GreaterThan(0));
        Assert.That(File.Exists(har), "Playwright wrote the HAR");
    }

    [Test]
    public async Task LaunchAsync_MissingExecutable_SaysHowToInstall()
    {
        var e = await Assert.ThrowsAsync<ChromiumUnavailableException>(() =>
            ChromiumLauncher.LaunchAsync(new ChromiumOptions { ExecutablePath = "/nonexistent/chromium" }));
        Assert.That(e!.Message, Does.Contain("scripts/install-deps.sh").And.Contain("apt-get install chromium"));
    }

    [Test]
    public void Arguments_Http11_DisablesHttp2AndQuic_MapsHosts_TrustsKeys()
    {
        var arguments = ChromiumLauncher.Arguments(new ChromiumOptions
        {
            Hosts = new Dictionary<string, IPEndPoint> { ["www.a.test"] = new(IPAddress.Parse("10.200.1.2"), 443) },
            TrustedSpkiHashes = ["abc=", "def="],
            DisableHttp2 = true,
        });
        Assert.That(arguments, Does.Contain("--disable-http2").And.Contain("--disable-quic").And.Contain("--disable-background-networking"));
        Assert.That(arguments, Does.Contain("--host-resolver-rules=MAP www.a.test 10.200.1.2, MAP * ~NOTFOUND"));
        Assert.That(arguments, Does.Contain("--ignore-certificate-errors-spki-list=abc=,def="));
    }
}
