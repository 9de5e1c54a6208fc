using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SpdyLab.Lab.Tests.PageLoad;

/// <summary>
/// A loopback TCP relay whose server-to-client direction is paced to a fixed rate: a scarce downlink
/// without root (no network namespaces or TUN). It reads from the server only as fast as it forwards, and
/// its sockets have small buffers, so the server's TCP connection backs up and the server's own output
/// scheduler decides what goes next (what SPDY priorities are about). Client-to-server is not limited.
/// </summary>
internal sealed class RateLimitedRelay : IAsyncDisposable
{
    private const int BufferBytes = 8 * 1024;
    private const int ChunkBytes = 4 * 1024;
    private const int IpProtocolTcp = 6;
    private const int TcpMaxSegment = 2; // TCP_MAXSEG (Linux)

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly double _bytesPerSecond;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly Task _accept;

    public RateLimitedRelay(IPEndPoint upstream, long bitsPerSecond)
    {
        _upstream = upstream;
        _bytesPerSecond = bitsPerSecond / 8.0;
        _listener.Server.ReceiveBufferSize = BufferBytes;
        _listener.Start();
        _accept = AcceptAsync();
    }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                client.NoDelay = true;
                client.SendBufferSize = BufferBytes;
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                server.ReceiveBufferSize = BufferBytes; // before connecting, so the advertised window stays small
                // An Ethernet-sized MSS (loopback's is 64 KB): Linux sizes the server's send buffer from
                // congestion window x segment size, and 64 KB segments would let it queue a megabyte below
                // the server's own output scheduler, where no priority applies.
                server.SetRawSocketOption(IpProtocolTcp, TcpMaxSegment, BitConverter.GetBytes(1448));
                await server.ConnectAsync(_upstream, _stop.Token);
                lock (_tasks)
                {
                    _tasks.Add(PumpAsync(client, server, paced: false));
                    _tasks.Add(PumpAsync(server, client, paced: true));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool paced)
    {
        var buffer = new byte[ChunkBytes];
        var clock = Stopwatch.StartNew();
        long forwarded = 0;
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (paced)
                {
                    // Serialization at the link rate: this chunk may leave once the bytes before it would have.
                    // An idle link does not save up credit (the clock restarts when the relay falls behind).
                    var due = TimeSpan.FromSeconds(forwarded / _bytesPerSecond);
                    if (due < clock.Elapsed)
                    {
                        clock.Restart();
                        forwarded = 0;
                    }
                    else if (due - clock.Elapsed > TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(due - clock.Elapsed, _stop.Token);
                    }

                    forwarded += read;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            if (paced)
            {
                from.Dispose();
                to.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        Task[] tasks;
        lock (_tasks)
        {
            tasks = [.. _tasks];
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
