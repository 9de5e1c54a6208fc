using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Testing;

/// <summary>
/// A scripted SPDY/3.1 client over a raw TCP socket, for hostile-client tests: writes frames built by hand, or
/// with the codec's writer where a compressed header block is needed (whatever headers it is given: nothing is
/// validated), and reads what the server answers, frame by frame.
/// </summary>
public sealed class RawSpdyPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly SpdyFrameWriter _writer = new(SpdyProtocolProfile.Spdy31);
    private readonly SpdyFrameReader _reader = new(SpdyProtocolProfile.Spdy31);
    private readonly byte[] _receive = new byte[64 * 1024];
    private byte[] _pending = [];

    private RawSpdyPeer(Socket socket) => _socket = socket;

    /// <summary>Connects to <paramref name="server"/>'s port on the IPv4 loopback.</summary>
    public static async Task<RawSpdyPeer> ConnectAsync(Uri server, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawSpdyPeer(socket);
    }

    public Task SendAsync(byte[] bytes, CancellationToken cancellationToken) => _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).AsTask();

    /// <summary>The request headers of a request, for tests to send as they are or to spoil.</summary>
    public static HeaderList Request(string method, string scheme, string host, string path, IEnumerable<KeyValuePair<string, string>>? extra = null) =>
        SpdyProtocolProfile.Spdy31.CreateRequestHeaders(new SpdyRequestHead(method, scheme, host, path), extra);

    /// <summary>SYN_STREAM with <paramref name="headers"/> compressed by the codec's writer (which keeps this
    /// connection's zlib context, so SYN_STREAMs must go out in the order they were built).</summary>
    public byte[] SynStream(int streamId, HeaderList headers, bool fin)
    {
        var output = new ArrayBufferWriter<byte>();
        _writer.WriteSynStream(output, streamId, 0, 0, fin ? SpdyFlags.Fin : (byte)0, headers);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>SYN_STREAM for a plain request to localhost.</summary>
    public byte[] SynStream(int streamId, string method, string path, bool fin, IEnumerable<KeyValuePair<string, string>>? extra = null) =>
        SynStream(streamId, Request(method, "http", "localhost", path, extra), fin);

    // spdy3 §2.2.1 control frame:
    // +----------------------------------+
    // |C| Version(15bits) | Type(16bits) |
    // +----------------------------------+
    // | Flags (8)  |  Length (24 bits)   |
    // +----------------------------------+
    // |               Data               |
    // +----------------------------------+
    public static byte[] Control(ushort type, byte flags, ReadOnlySpan<byte> payload, ushort version = 3)
    {
        var frame = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)(0x8000 | version));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), type);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((uint)flags << 24) | (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(8));
        return frame;
    }

    // spdy3 §2.2.2 data frame:
    // +----------------------------------+
    // |C|       Stream-ID (31bits)       |
    // +----------------------------------+
    // | Flags (8)  |  Length (24 bits)   |
    // +----------------------------------+
    // |               Data               |
    // +----------------------------------+
    public static byte[] Data(int streamId, ReadOnlySpan<byte> payload, bool fin)
    {
        var frame = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)streamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((fin ? 1u : 0u) << 24) | (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(8));
        return frame;
    }

    /// <summary>PING (spdy3 §2.6.5): a 32-bit id.</summary>
    public static byte[] Ping(uint id) => Control(6, 0, BigEndian(id));

    /// <summary>RST_STREAM (spdy3 §2.6.2): stream id, status code.</summary>
    public static byte[] RstStream(int streamId, uint status) => Control(3, 0, [.. BigEndian((uint)streamId), .. BigEndian(status)]);

    /// <summary>WINDOW_UPDATE (spdy3 §2.6.8): stream id, delta.</summary>
    public static byte[] WindowUpdate(int streamId, uint delta) => Control(9, 0, [.. BigEndian((uint)streamId), .. BigEndian(delta)]);

    /// <summary>SETTINGS with one entry (spdy3 §2.6.4: entry count, then flags 8 bits, id 24 bits, value 32 bits).</summary>
    public static byte[] Settings(uint id, uint value) => Control(4, 0, [.. BigEndian(1), .. BigEndian(id & 0xFFFFFF), .. BigEndian(value)]);

    public static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>The next frame from the server, or null when it closed the connection (or the time is up).
    /// A DATA frame's payload is its own copy.</summary>
    public async Task<SpdyFrame?> ReadFrameAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_pending);
            if (_reader.TryReadFrame(ref buffer, out var frame))
            {
                if (frame is DataFrame data)
                {
                    // The reader reuses its DATA frame object, and Data refers to _pending: copy both.
                    frame = new DataFrame { Id = data.Id, Flags = data.Flags, Data = new ReadOnlySequence<byte>(data.Data.ToArray()) };
                }

                _pending = buffer.ToArray();
                return frame;
            }

            int read;
            try
            {
                read = await _socket.ReceiveAsync(_receive, SocketFlags.None, bounded.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (SocketException)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            _pending = [.. _pending, .. _receive.AsSpan(0, read)];
        }
    }

    /// <summary>Reads until a frame matches (skipping others) or the connection ends; null if none matched.</summary>
    public async Task<T?> ExpectAsync<T>(Func<T, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
        where T : SpdyFrame
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var frame = await ReadFrameAsync(deadline - DateTime.UtcNow, cancellationToken);
            if (frame is null)
            {
                return null;
            }

            if (frame is T typed && match(typed))
            {
                return typed;
            }
        }

        return null;
    }

    /// <summary>True when the server closed the connection within the time (frames before the close are skipped).</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var buffer = new byte[4096];
        while (DateTime.UtcNow < deadline)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(deadline - DateTime.UtcNow);
            try
            {
                if (await _socket.ReceiveAsync(buffer, SocketFlags.None, bounded.Token) == 0)
                {
                    return true;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (SocketException)
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _writer.Dispose();
        _reader.Dispose();
    }
}
