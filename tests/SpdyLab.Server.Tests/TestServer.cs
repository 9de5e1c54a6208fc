using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Server.Certificates;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Server.Tests;

/// <summary>A real Kestrel server on loopback ports chosen by the OS: one TLS port and one cleartext port.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private static readonly Lazy<(LabCertificateAuthority Authority, X509Certificate2 Certificate)> SharedCertificate = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "spdylab-server-tests-ca-" + Environment.ProcessId);
        var authority = LabCertificateAuthority.OpenOrCreate(folder);
        return (authority, authority.IssueServerCertificate(["localhost"]));
    });

    private TestServer(WebApplication app, Uri tls, Uri plain)
    {
        App = app;
        TlsUri = tls;
        PlainUri = plain;
    }

    public WebApplication App { get; }

    public Uri TlsUri { get; }

    public Uri PlainUri { get; }

    public static X509Certificate2 RootCertificate => SharedCertificate.Value.Authority.Root;

    public static async Task<TestServer> StartAsync(Action<WebApplication> configureApp, Action<SpdyServerOptions>? configureSpdy = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var (authority, certificate) = SharedCertificate.Value;
        builder.WebHost.ListenSpdy([new IPEndPoint(IPAddress.Loopback, 0)], [new IPEndPoint(IPAddress.Loopback, 0)],
            certificate, [authority.Root], configureSpdy);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        configureApp(app);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var tls = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)));
        var plain = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)));
        return new TestServer(app, tls, plain);
    }

    /// <summary>An HttpClient that trusts only the lab root and uses the given HTTP version exactly.</summary>
    public static HttpClient CreateHttpClient(Version version)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(RootCertificate);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is not null && chain.Build(new X509Certificate2(certificate));
                },
            },
        };
        return new HttpClient(handler)
        {
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await App.StopAsync(timeout.Token);
        await App.DisposeAsync();
    }
}
