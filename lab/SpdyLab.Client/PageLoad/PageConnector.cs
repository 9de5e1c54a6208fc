using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SpdyLab.Client.PageLoad;

/// <summary>One connection of a page load, for the result: where, what it cost and what it carried.</summary>
public sealed class ConnectionRecord
{
    public required int Id { get; init; }

    /// <summary>The host (or "*" for a single-domain session) the connection was opened for.</summary>
    public required string Host { get; init; }

    public string? Remote { get; set; }

    public double ConnectStart { get; set; }

    public double ConnectMs { get; set; }

    public double TlsMs { get; set; }

    public string? Alpn { get; set; }

    public string? TlsVersion { get; set; }

    /// <summary>TCP connects started for this connection: 2 when the backup connect was started.</summary>
    public int ConnectAttempts { get; set; } = 1;

    /// <summary>The backup connect's socket is the one used (the first connect's SYN or SYN-ACK was late or lost).</summary>
    public bool BackupConnectWon { get; set; }

    public int Requests { get; set; }

    /// <summary>Bytes written to / read from the socket (TLS records included over TLS).</summary>
    public long BytesUp => Counter?.BytesWritten ?? 0;

    public long BytesDown => Counter?.BytesRead ?? 0;

    internal CountingStream? Counter { get; set; }
}

/// <summary>An open connection with its counted socket stream and the stream to speak over (TLS or not).</summary>
public sealed class OpenedConnection(ConnectionRecord record, Stream stream) : IAsyncDisposable
{
    public ConnectionRecord Record { get; } = record;

    public Stream Stream { get; } = stream;

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}

/// <summary>TLS settings for a load: trust the lab's CA file, or any certificate.</summary>
public sealed class PageTlsOptions
{
    /// <summary>PEM file of certificate authorities to trust; null accepts any certificate (the lab's own server).</summary>
    public string? CaCertFile { get; init; }
}

/// <summary>
/// Opens TCP connections through the host map and, over TLS, runs the handshake with ALPN. The
/// socket's bytes are counted below TLS so the figures are what crossed the link. Like Chromium, a
/// connect with no answer after <paramref name="backupConnectAfter"/> gets a second one beside it.
/// </summary>
public sealed class PageConnector(HostMap hosts, PageTlsOptions? tls, Func<double> clock, TimeSpan? backupConnectAfter = null)
{
    /// <summary>Chromium's kMaxConnectRetryIntervalMs (net/socket/client_socket_pool.cc): 250 ms.</summary>
    public static readonly TimeSpan ChromiumBackupConnectDelay = TimeSpan.FromMilliseconds(250);

    private int _nextId;
    private readonly List<ConnectionRecord> _connections = [];

    public IReadOnlyList<ConnectionRecord> Connections
    {
        get
        {
            lock (_connections)
            {
                return _connections.ToList();
            }
        }
    }

    /// <summary>Connects for <paramref name="host"/>; with <paramref name="alpn"/> not null, runs TLS offering it.</summary>
    public async Task<OpenedConnection> ConnectAsync(string host, string recordHost, IReadOnlyList<string>? alpn, CancellationToken cancellationToken)
    {
        var record = new ConnectionRecord { Id = Interlocked.Increment(ref _nextId), Host = recordHost, ConnectStart = clock() };
        lock (_connections)
        {
            _connections.Add(record);
        }

        var endpoint = hosts.Resolve(host);
        var watch = Stopwatch.StartNew();
        Socket socket;
        try
        {
            socket = await ConnectTcpAsync(endpoint, record, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new PageLoadException($"cannot connect to {host} at {endpoint}: {e.Message}", e);
        }

        record.ConnectMs = watch.Elapsed.TotalMilliseconds;
        record.Remote = endpoint.ToString();
        var counter = new CountingStream(new NetworkStream(socket, ownsSocket: true));
        record.Counter = counter;
        if (alpn is null)
        {
            return new OpenedConnection(record, counter);
        }

        var ssl = new SslStream(counter, leaveInnerStreamOpen: false);
        watch.Restart();
        try
        {
            await ssl.AuthenticateAsClientAsync(TlsOptionsFor(host, alpn, tls), cancellationToken);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync();
            throw new PageLoadException($"TLS handshake with {host} at {endpoint} failed: {e.Message}", e);
        }

        record.TlsMs = watch.Elapsed.TotalMilliseconds;
        record.Alpn = ssl.NegotiatedApplicationProtocol == default ? null : ssl.NegotiatedApplicationProtocol.ToString();
        record.TlsVersion = ssl.SslProtocol.ToString();
        return new OpenedConnection(record, ssl);
    }

    /// <summary>
    /// The TCP connect, with Chromium's backup: when the first connect has not completed after the delay (its
    /// SYN or the SYN-ACK lost, so the kernel would wait its 1 s retransmission timeout), a second socket
    /// connects beside it; the first to complete is used and the other is closed. Chromium starts one backup
    /// per attempt (TransportClientSocketPool::Group::OnBackupJobTimerFired), and so does this.
    /// </summary>
    private async Task<Socket> ConnectTcpAsync(EndPoint endpoint, ConnectionRecord record, CancellationToken cancellationToken)
    {
        using var cancelLoser = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = ConnectOneAsync(endpoint, cancelLoser.Token);
        if (backupConnectAfter is not { } delay)
            return await first;
        var timer = Task.Delay(delay, cancellationToken);
        if (await Task.WhenAny(first, timer) == first)
            return await first;
        cancellationToken.ThrowIfCancellationRequested();

        record.ConnectAttempts = 2;
        var backup = ConnectOneAsync(endpoint, cancelLoser.Token);
        var winner = await Task.WhenAny(first, backup);
        if (winner.IsCompletedSuccessfully)
        {
            cancelLoser.Cancel();
            var loser = winner == first ? backup : first;
            _ = loser.ContinueWith(t => { if (t.IsCompletedSuccessfully) t.Result.Dispose(); else _ = t.Exception; }, TaskScheduler.Default);
            record.BackupConnectWon = winner == backup;
            return winner.Result;
        }
        // The first to finish failed (refused, unreachable): the other's answer decides.
        var other = winner == first ? backup : first;
        try
        {
            var socket = await other;
            record.BackupConnectWon = other == backup;
            return socket;
        }
        catch (SocketException)
        {
            return await winner; // rethrows the first failure, which is what a user should see
        }
    }

    private static async Task<Socket> ConnectOneAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static SslClientAuthenticationOptions TlsOptionsFor(string? host, IReadOnlyList<string>? alpn, PageTlsOptions? tls)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ApplicationProtocols = alpn?.Select(id => new SslApplicationProtocol(id)).ToList(),
        };
        if (tls?.CaCertFile is { } file)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(file);
            policy.CustomTrustStore.AddRange(roots);
            options.CertificateChainPolicy = policy;
        }
        else
        {
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        return options;
    }
}

/// <summary>A stream that counts the bytes read and written through it.</summary>
public sealed class CountingStream(Stream inner) : Stream
{
    private long _read;
    private long _written;

    public long BytesRead => Interlocked.Read(ref _read);

    public long BytesWritten => Interlocked.Read(ref _written);

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        Interlocked.Add(ref _read, n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        Interlocked.Add(ref _read, n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Interlocked.Add(ref _written, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Interlocked.Add(ref _written, buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
