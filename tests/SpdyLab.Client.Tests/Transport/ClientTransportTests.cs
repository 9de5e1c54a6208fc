using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SpdyLab.Client.Transport;

namespace SpdyLab.Client.Tests.Transport;

/// <summary>TCP and TLS+ALPN connection setup against a loopback SslStream server.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientTransportTests
{
    private static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Accepts one TLS connection choosing among <paramref name="serverProtocols"/>; returns what was negotiated.</summary>
    private static async Task<(int Port, Task<string?> Negotiated)> StartTlsServerAsync(X509Certificate2 certificate, params string[] serverProtocols)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var negotiated = Task.Run(async () =>
        {
            try
            {
                using var socket = await listener.AcceptSocketAsync();
                await using var ssl = new SslStream(new NetworkStream(socket, true));
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ApplicationProtocols = serverProtocols.Select(p => new SslApplicationProtocol(p)).ToList(),
                });
                var chosen = ssl.NegotiatedApplicationProtocol == default ? null : ssl.NegotiatedApplicationProtocol.ToString();
                await ssl.WriteAsync(new byte[] { 1 });
                return chosen;
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
            {
                return "handshake failed";
            }
            finally
            {
                listener.Stop();
            }
        });
        await Task.Yield();
        return (port, negotiated);
    }

    [Test]
    public async Task ConnectAsync_TlsWithCaCert_NegotiatesServersChoiceAmongOffered()
    {
        using var certificate = CreateCertificate();
        var caFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(caFile, certificate.ExportCertificatePem());
        try
        {
            var (port, negotiated) = await StartTlsServerAsync(certificate, "spdy/3", "http/1.1");

            await using var connection = await ClientTransport.ConnectAsync("localhost", port, true, ["spdy/3.1", "spdy/3", "http/1.1"], new ClientOptions { CaCertFile = caFile }, CancellationToken.None);

            Assert.That(connection.IsTls, Is.True);
            Assert.That(connection.AlpnProtocol, Is.EqualTo("spdy/3"));
            Assert.That(await negotiated, Is.EqualTo("spdy/3"));
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    [Test]
    public async Task ConnectAsync_UntrustedCertificate_ThrowsTlsErrorMentioningCaCert()
    {
        using var certificate = CreateCertificate();
        var (port, _) = await StartTlsServerAsync(certificate, "spdy/3.1");

        var error = await Assert.ThrowsAsync<SpdyClientException>(() => ClientTransport.ConnectAsync("localhost", port, true, ["spdy/3.1"], new ClientOptions(), CancellationToken.None));

        Assert.That(error!.Kind, Is.EqualTo(ClientErrorKind.Tls));
        Assert.That(error.Message, Does.Contain("--cacert"));
    }

    [Test]
    public async Task ConnectAsync_InsecureAndResolveOverride_ConnectsToOverriddenAddress()
    {
        using var certificate = CreateCertificate();
        var (port, negotiated) = await StartTlsServerAsync(certificate, "spdy/2");
        var resolve = new ResolveMap();
        resolve.Add($"no-such-host.invalid:{port}:127.0.0.1");

        await using var connection = await ClientTransport.ConnectAsync("no-such-host.invalid", port, true, ["spdy/2"], new ClientOptions { Insecure = true, Resolve = resolve }, CancellationToken.None);

        Assert.That(connection.AlpnProtocol, Is.EqualTo("spdy/2"));
        Assert.That(await negotiated, Is.EqualTo("spdy/2"));
    }

    [Test]
    public async Task ConnectAsync_NothingListening_ThrowsConnectError()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var error = await Assert.ThrowsAsync<SpdyClientException>(() => ClientTransport.ConnectAsync("127.0.0.1", port, false, [], new ClientOptions(), CancellationToken.None));

        Assert.That(error!.Kind, Is.EqualTo(ClientErrorKind.Connect));
        Assert.That(error.Message, Does.Contain($"127.0.0.1:{port}"));
    }
}
