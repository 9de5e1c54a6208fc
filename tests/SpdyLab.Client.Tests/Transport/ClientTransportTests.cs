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

    // ------------------------------------------------------------------ the engine's duplex pipe (session 5)

    private static async Task<(TransportConnection Client, Socket Server)> ConnectPairAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var accepted = listener.AcceptSocketAsync();
            var client = await ClientTransport.ConnectAsync("127.0.0.1", port, false, [], new ClientOptions(), CancellationToken.None);
            return (client, await accepted);
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int length)
    {
        var received = new byte[length];
        var total = 0;
        while (total < length)
        {
            var read = await socket.ReceiveAsync(received.AsMemory(total));
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return received[..total];
    }

    [Test]
    public async Task AsDuplexPipe_ManySmallFlushesFromSeveralThreads_ArriveWholeAndInFlushOrder()
    {
        var (connection, server) = await ConnectPairAsync();
        using var _ = server;
        await using var __ = connection;
        var output = connection.AsDuplexPipe().Output;

        // 2,000 numbered 7-byte records, one flush each, as a session writer does; the order of flushes is the wire order.
        for (var i = 0; i < 2000; i++)
        {
            var record = output.GetSpan(7);
            BitConverter.TryWriteBytes(record, i);
            record[4] = 0xAB;
            record[5] = 0xCD;
            record[6] = (byte)(i % 251);
            output.Advance(7);
            if (i % 2 == 0)
            {
                await Task.Yield(); // the next flush may run on another thread while the previous one is being sent
            }

            await output.FlushAsync();
        }

        var bytes = await ReceiveAsync(server, 2000 * 7);

        Assert.That(bytes.Length, Is.EqualTo(2000 * 7));
        for (var i = 0; i < 2000; i++)
        {
            var record = bytes.AsSpan(i * 7, 7);
            Assert.That((BitConverter.ToInt32(record), record[4], record[5], record[6]), Is.EqualTo((i, (byte)0xAB, (byte)0xCD, (byte)(i % 251))), $"record {i}");
        }
    }

    [Test]
    public async Task DisposeAsync_RightAfterTheLastFlush_ThePeerStillReceivesIt()
    {
        var (connection, server) = await ConnectPairAsync();
        using var _ = server;
        var output = connection.AsDuplexPipe().Output;
        var last = new byte[100_000];
        Random.Shared.NextBytes(last);

        await output.WriteAsync(last);
        await connection.DisposeAsync(); // what a GOAWAY written just before closing goes through

        Assert.That(await ReceiveAsync(server, last.Length + 1), Is.EqualTo(last), "the whole last write, then the end of the connection");
    }

    [Test]
    public async Task AsDuplexPipe_PeerGone_FlushesFailWithIOException()
    {
        var (connection, server) = await ConnectPairAsync();
        await using var _ = connection;
        var output = connection.AsDuplexPipe().Output;
        server.LingerState = new LingerOption(true, 0); // close with RST: the client's sends then fail
        server.Dispose();

        var error = await Assert.CatchAsync(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                await output.WriteAsync(new byte[16 * 1024]);
                await Task.Delay(2);
            }
        });

        Assert.That(error, Is.InstanceOf<IOException>().Or.InstanceOf<ObjectDisposedException>(), error?.ToString());
    }

    [Test]
    public async Task AsDuplexPipe_SecondCall_Throws()
    {
        var (connection, server) = await ConnectPairAsync();
        using var _ = server;
        await using var __ = connection;
        connection.AsDuplexPipe();

        Assert.Throws<InvalidOperationException>(() => connection.AsDuplexPipe());
    }
}
