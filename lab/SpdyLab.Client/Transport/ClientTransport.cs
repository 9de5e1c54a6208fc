using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SpdyLab.Client.Transport;

/// <summary>Opens TCP connections (honouring the resolve map) and TLS with ALPN over them.</summary>
public static class ClientTransport
{
    /// <summary>
    /// Connects to host:port; with <paramref name="tls"/>, runs a TLS handshake offering <paramref name="alpn"/>.
    /// Failures are <see cref="SpdyClientException"/> (Connect or Tls) saying what was attempted.
    /// </summary>
    public static async Task<TransportConnection> ConnectAsync(string host, int port, bool tls, IReadOnlyList<string> alpn, ClientOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var socket = await ConnectSocketAsync(host, port, options, cancellationToken);
        var connectTime = clock.Elapsed;
        var network = new NetworkStream(socket, ownsSocket: true);
        if (!tls)
        {
            options.Trace?.Invoke($"* connected to {socket.RemoteEndPoint} (tcp) in {connectTime.TotalMilliseconds:F1} ms");
            return new TransportConnection(network, socket.RemoteEndPoint, false, null, connectTime, TimeSpan.Zero, null);
        }

        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        var authentication = CreateTlsOptions(host, alpn, options);
        options.Trace?.Invoke($"* connected to {socket.RemoteEndPoint} in {connectTime.TotalMilliseconds:F1} ms; TLS handshake, ALPN offer: {string.Join(", ", alpn)}");
        var tlsStart = clock.Elapsed;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            await ssl.AuthenticateAsClientAsync(authentication, timeout.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync();
            var hint = e is AuthenticationException ? " (untrusted certificate? use --cacert FILE or -k)" : string.Empty;
            if (e is OperationCanceledException)
            {
                throw new SpdyClientException(ClientErrorKind.Timeout, $"TLS handshake with {host}:{port} timed out after {options.ConnectTimeout.TotalSeconds:F0} s", e);
            }

            throw new SpdyClientException(ClientErrorKind.Tls, $"TLS handshake with {host}:{port} failed: {Describe(e)}{hint}", e);
        }

        var tlsTime = clock.Elapsed - tlsStart;
        var chosen = ssl.NegotiatedApplicationProtocol == default ? null : ssl.NegotiatedApplicationProtocol.ToString();
        options.Trace?.Invoke($"* TLS {ssl.SslProtocol} in {tlsTime.TotalMilliseconds:F1} ms, ALPN: {chosen ?? "(none)"}");
        return new TransportConnection(ssl, socket.RemoteEndPoint, true, chosen, connectTime, tlsTime, ssl.SslProtocol.ToString());
    }

    /// <summary>TLS client options for host: ALPN ids, and certificate trust as -k / --cacert say.</summary>
    public static SslClientAuthenticationOptions CreateTlsOptions(string host, IReadOnlyList<string> alpn, ClientOptions options)
    {
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ApplicationProtocols = alpn.Select(id => new SslApplicationProtocol(id)).ToList(),
            EnabledSslProtocols = SslProtocols.None, // the OS's default set (TLS 1.2, 1.3)
        };
        if (options.Insecure)
        {
            authentication.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (options.CaCertFile is not null)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(LoadCertificates(options.CaCertFile));
            authentication.CertificateChainPolicy = policy;
        }

        return authentication;
    }

    private static async Task<Socket> ConnectSocketAsync(string host, int port, ClientOptions options, CancellationToken cancellationToken)
    {
        IReadOnlyList<IPAddress> addresses;
        var overridden = options.Resolve.Lookup(host, port);
        if (overridden is not null)
        {
            addresses = overridden;
            options.Trace?.Invoke($"* {host}:{port} resolved by --resolve to {string.Join(", ", addresses)}");
        }
        else if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new SpdyClientException(ClientErrorKind.Connect, $"cannot resolve host '{host}': {e.Message} (--resolve {host}:{port}:ADDR overrides DNS)", e);
            }
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.ConnectTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
                return socket;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                last = e is OperationCanceledException ? new TimeoutException($"no answer in {options.ConnectTimeout.TotalSeconds:F0} s") : e;
            }
        }

        var where = addresses.Count == 1 ? $"{addresses[0]}:{port}" : $"any of {string.Join(", ", addresses)} on port {port}";
        throw new SpdyClientException(
            last is TimeoutException ? ClientErrorKind.Timeout : ClientErrorKind.Connect,
            $"cannot connect to {host} ({where}): {last?.Message ?? "no address"}",
            last);
    }

    private static X509Certificate2Collection LoadCertificates(string file)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new SpdyClientException(ClientErrorKind.Tls, $"--cacert {file}: cannot read certificates: {e.Message}", e);
        }

        if (certificates.Count == 0)
        {
            throw new SpdyClientException(ClientErrorKind.Tls, $"--cacert {file}: no PEM certificate in the file");
        }

        return certificates;
    }

    private static string Describe(Exception e)
    {
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            message += $": {inner.Message}";
        }

        return message;
    }
}
