using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SpdyLab.Client.Http2;

namespace SpdyLab.Client.Tests.Http2;

/// <summary>
/// The client against a scripted server that writes frames by hand, for what Kestrel will not do on demand:
/// GOAWAY with streams in flight, padding, CONTINUATION, PING.
/// </summary>
public class Http2ClientConnectionScriptedTests
{
    private sealed class ScriptedPeer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private Socket? _socket;
        private NetworkStream? _stream;
        private readonly List<byte> _received = [];

        public ScriptedPeer() => _listener.Start();

        public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

        public async Task AcceptAsync()
        {
            _socket = await _listener.AcceptSocketAsync();
            _stream = new NetworkStream(_socket, ownsSocket: true);
            var preface = new byte[24];
            await _stream.ReadExactlyAsync(preface);
            Assert.That(preface, Is.EqualTo(Http2FrameWriter.ClientPreface.ToArray()));
        }

        /// <summary>Reads frames until one matches, returning it.</summary>
        public async Task<(Http2FrameHeader Header, byte[] Payload)> ReadUntilAsync(Func<Http2FrameHeader, bool> match)
        {
            var chunk = new byte[16384];
            while (true)
            {
                var sequence = new ReadOnlySequence<byte>(_received.ToArray());
                while (Http2FrameReader.TryReadFrame(ref sequence, 1 << 24, out var header, out var payload))
                {
                    _received.RemoveRange(0, Http2FrameHeader.Size + payload.Length);
                    if (match(header))
                    {
                        return (header, payload);
                    }
                }

                var n = await _stream!.ReadAsync(chunk);
                if (n == 0)
                {
                    throw new EndOfStreamException("client closed");
                }

                _received.AddRange(chunk.AsSpan(0, n).ToArray());
            }
        }

        public async Task SendAsync(Action<ArrayBufferWriter<byte>> write)
        {
            var buffer = new ArrayBufferWriter<byte>();
            write(buffer);
            await _stream!.WriteAsync(buffer.WrittenMemory);
        }

        public static void Frame(ArrayBufferWriter<byte> output, Http2FrameType type, Http2Flags flags, int streamId, byte[] payload)
        {
            Http2FrameWriter.WriteHeader(output, payload.Length, type, flags, streamId);
            output.Write(payload);
        }

        public async ValueTask DisposeAsync()
        {
            _stream?.Dispose();
            _listener.Stop();
            await Task.CompletedTask;
        }
    }

    private static Http2Request Get(string path) => new() { Method = "GET", Scheme = "http", Authority = "peer", Path = path };

    private static async Task<(ScriptedPeer Peer, Http2ClientConnection Connection)> StartAsync()
    {
        var peer = new ScriptedPeer();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = peer.AcceptAsync();
        await socket.ConnectAsync(peer.Endpoint);
        var connection = Http2ClientConnection.Start(new NetworkStream(socket, ownsSocket: true));
        await accepting;
        var (settings, body) = await peer.ReadUntilAsync(h => h.Type == Http2FrameType.Settings);
        Assert.That(body, Is.EqualTo(Convert.FromHexString("000100010000" + "000200000000" + "000400600000" + "000600040000")),
            "Chromium's SETTINGS: HEADER_TABLE_SIZE 65536, ENABLE_PUSH 0, INITIAL_WINDOW_SIZE 6291456, MAX_HEADER_LIST_SIZE 262144");
        var (update, increment) = await peer.ReadUntilAsync(h => h.Type == Http2FrameType.WindowUpdate);
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(increment), Is.EqualTo(15663105u), "15 MB connection window less the initial 65,535");
        await peer.SendAsync(o => Http2FrameWriter.WriteSettings(o, []));
        await peer.ReadUntilAsync(h => h.Type == Http2FrameType.Settings && h.Has(Http2Flags.Ack));
        return (peer, connection);
    }

    [Test, CancelAfter(10_000)]
    public async Task GoAway_StreamsAboveLastStreamId_FailAsRetryableAndOthersComplete()
    {
        var (peer, connection) = await StartAsync();
        await using (peer)
        await using (connection)
        {
            var first = connection.Send(Get("/1"), CancellationToken.None);
            var second = connection.Send(Get("/2"), CancellationToken.None);
            await peer.ReadUntilAsync(h => h.Type == Http2FrameType.Headers && h.StreamId == 3);

            await peer.SendAsync(o =>
            {
                Http2FrameWriter.WriteGoAway(o, lastStreamId: 1, Http2ErrorCode.NoError);
                ScriptedPeer.Frame(o, Http2FrameType.Headers, Http2Flags.EndHeaders, 1, [0x88]); // :status 200 (static index 8)
                ScriptedPeer.Frame(o, Http2FrameType.Data, Http2Flags.EndStream, 1, "ok"u8.ToArray());
            });
            await first.Completion;

            var error = await Assert.ThrowsAsync<Http2StreamException>(() => second.Completion);
            var late = connection.Send(Get("/3"), CancellationToken.None);
            Assert.Multiple(() =>
            {
                Assert.That(first.Body, Is.EqualTo("ok"u8.ToArray()));
                Assert.That(error!.Retryable, Is.True);
                Assert.That(error.Message, Does.Contain("GOAWAY"));
                Assert.That(connection.CanOpenStreams, Is.False);
                Assert.That(async () => await late.Completion, Throws.TypeOf<Http2StreamException>().With.Property(nameof(Http2StreamException.Retryable)).True);
            });
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task Receive_PaddedHeadersWithContinuationAndPaddedData_DecodeAndAnswerPing()
    {
        var (peer, connection) = await StartAsync();
        await using (peer)
        await using (connection)
        {
            var stream = connection.Send(Get("/x"), CancellationToken.None);
            var (headers, block) = await peer.ReadUntilAsync(h => h.Type == Http2FrameType.Headers);
            Assert.Multiple(() =>
            {
                Assert.That(headers.Has(Http2Flags.EndStream | Http2Flags.EndHeaders | Http2Flags.Priority), Is.True);
                Assert.That(block[4], Is.EqualTo(146), "weight 147 (LOWEST) carried as weight - 1");
                Assert.That(BinaryPrimitives.ReadUInt32BigEndian(block), Is.EqualTo(0x80000000u), "exclusive, on stream 0");
            });

            // :status 200, then x-a: "aaaa" as a literal without indexing with a literal name, split over two frames.
            byte[] fieldBlock = [0x88, 0x00, 0x03, (byte)'x', (byte)'-', (byte)'a', 0x04, (byte)'a', (byte)'a', (byte)'a', (byte)'a'];
            await peer.SendAsync(o =>
            {
                // HEADERS PADDED + PRIORITY: pad length 3, 5 priority octets, fragment, 3 octets of padding.
                var payload = new List<byte> { 3, 0, 0, 0, 0, 15 };
                payload.AddRange(fieldBlock[..4]);
                payload.AddRange(new byte[3]);
                ScriptedPeer.Frame(o, Http2FrameType.Headers, Http2Flags.Padded | Http2Flags.Priority, 1, payload.ToArray());
                ScriptedPeer.Frame(o, Http2FrameType.Continuation, Http2Flags.EndHeaders, 1, fieldBlock[4..]);
                ScriptedPeer.Frame(o, Http2FrameType.Data, Http2Flags.Padded, 1, [2, (byte)'h', (byte)'i', 0, 0]);
                Http2FrameWriter.WritePing(o, Http2Flags.None, "12345678"u8);
                ScriptedPeer.Frame(o, Http2FrameType.Data, Http2Flags.EndStream, 1, "!"u8.ToArray());
            });

            await stream.Completion;
            var (_, ping) = await peer.ReadUntilAsync(h => h.Type == Http2FrameType.Ping && h.Has(Http2Flags.Ack));
            Assert.Multiple(() =>
            {
                Assert.That(stream.Status, Is.EqualTo(200));
                Assert.That(stream.ResponseHeaders, Is.EqualTo(new[] { new KeyValuePair<string, string>("x-a", "aaaa") }));
                Assert.That(stream.ResponseHeaderBlockBytes, Is.EqualTo(fieldBlock.Length), "padding and priority fields are not header bytes");
                Assert.That(stream.Body, Is.EqualTo("hi!"u8.ToArray()));
                Assert.That(ping, Is.EqualTo("12345678"u8.ToArray()));
            });
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task Receive_FrameInsideAHeaderBlock_IsAConnectionErrorWithGoAway()
    {
        var (peer, connection) = await StartAsync();
        await using (peer)
        await using (connection)
        {
            var stream = connection.Send(Get("/x"), CancellationToken.None);
            await peer.ReadUntilAsync(h => h.Type == Http2FrameType.Headers);
            await peer.SendAsync(o =>
            {
                ScriptedPeer.Frame(o, Http2FrameType.Headers, Http2Flags.None, 1, [0x88]);
                Http2FrameWriter.WritePing(o, Http2Flags.None, "12345678"u8);
            });

            var (_, goAway) = await peer.ReadUntilAsync(h => h.Type == Http2FrameType.GoAway);
            Assert.Multiple(() =>
            {
                Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(goAway.AsSpan(4)), Is.EqualTo(Http2ErrorCode.ProtocolError));
                Assert.That(async () => await stream.Completion, Throws.TypeOf<Http2StreamException>().With.Message.Contains("§6.10"));
            });
        }
    }
}
