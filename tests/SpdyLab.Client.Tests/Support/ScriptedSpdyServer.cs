using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Client.Tests.Support;

/// <summary>
/// A loopback SPDY server whose behaviour each test scripts: for every SYN_STREAM it calls
/// <see cref="OnRequest"/> (default: 200 with /bytes/N bodies, byte i = i % 251). It records every frame it
/// receives. It uses the production codec (reader/writer) but none of the session engine, so the client's
/// engine use is what is under test. Bodies it sends must stay within the client's 64 KB windows.
/// </summary>
internal sealed class ScriptedSpdyServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly ConcurrentQueue<SpdyFrame> _received = new();
    private int _connections;

    public ScriptedSpdyServer(SpdyProtocolProfile profile)
    {
        Profile = profile;
        _listener.Start();
        _accept = AcceptAsync();
    }

    public SpdyProtocolProfile Profile { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri Origin => new($"http://127.0.0.1:{Port}");

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Frames received so far (DATA frames are recorded with their payload copied).</summary>
    public IReadOnlyList<SpdyFrame> Received => _received.ToArray();

    public IReadOnlyList<SynStreamFrame> Requests => Received.OfType<SynStreamFrame>().ToList();

    public Func<Session, SynStreamFrame, Task> OnRequest { get; set; } = DefaultResponseAsync;

    /// <summary>Called when the connection opens, before any frame is read (e.g. to send garbage).</summary>
    public Func<Session, Task>? OnConnect { get; set; }

    public static async Task DefaultResponseAsync(Session session, SynStreamFrame request)
    {
        var path = session.Profile.ReadRequest(request.Headers).Path ?? "/";
        if (path.StartsWith("/bytes/", StringComparison.Ordinal) && int.TryParse(path["/bytes/".Length..], out var n))
        {
            await session.ReplyAsync(request.Id, 200, [new("content-type", "application/octet-stream")], Bytes(n));
            return;
        }

        await session.ReplyAsync(request.Id, 404, [], "not found\n"u8.ToArray());
    }

    public static byte[] Bytes(int n)
    {
        var body = new byte[n];
        for (var i = 0; i < n; i++)
        {
            body[i] = (byte)(i % 251);
        }

        return body;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accept;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var sessions = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                sessions.Add(RunSessionAsync(socket));
            }
        }
        finally
        {
            await Task.WhenAll(sessions);
        }
    }

    private async Task RunSessionAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var session = new Session(Profile, stream);
        var handlers = new List<Task>();
        try
        {
            if (OnConnect is not null)
            {
                await OnConnect(session);
            }

            using var reader = new SpdyFrameReader(Profile);
            var input = PipeReader.Create(stream);
            while (!_stop.IsCancellationRequested)
            {
                var result = await input.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                while (reader.TryReadFrame(ref buffer, out var frame))
                {
                    if (frame is DataFrame data)
                    {
                        frame = new DataFrame { Id = data.Id, Flags = data.Flags, Data = new(data.Data.ToArray()) };
                    }

                    _received.Enqueue(frame);
                    if (frame is SynStreamFrame syn)
                    {
                        handlers.Add(Task.Run(() => OnRequest(session, syn)));
                    }
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            try
            {
                await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or TimeoutException or SocketException)
            {
            }

            session.Dispose();
        }
    }

    /// <summary>The server side of one connection: writes frames in order (one writer, one lock).</summary>
    internal sealed class Session(SpdyProtocolProfile profile, Stream stream) : IDisposable
    {
        private readonly SpdyFrameWriter _writer = new(profile);
        private readonly SemaphoreSlim _lock = new(1, 1);

        public SpdyProtocolProfile Profile { get; } = profile;

        public Task ReplyAsync(int streamId, int status, IEnumerable<KeyValuePair<string, string>> headers, byte[] body) =>
            WriteAsync(buffer =>
            {
                _writer.WriteSynReply(buffer, streamId, body.Length == 0, Profile.CreateResponseHeaders(status, null, headers));
                WriteBody(buffer, streamId, body);
            });

        /// <summary>Sends a unidirectional SYN_STREAM (server push) associated with <paramref name="associatedId"/>, then its body.</summary>
        public Task PushAsync(int associatedId, int pushedId, string path, byte[] body, string host = "127.0.0.1") =>
            WriteAsync(buffer =>
            {
                _writer.WriteSynStream(buffer, pushedId, associatedId, 0, SpdyFlags.Unidirectional, Profile.CreatePushHeaders("http", host, path, 200, [new("content-type", "text/css")]));
                WriteBody(buffer, pushedId, body);
            });

        /// <summary>A SYN_REPLY alone (FIN only if <paramref name="fin"/>); send the body with <see cref="DataAsync"/>.</summary>
        public Task ReplyHeadersAsync(int streamId, int status, IEnumerable<KeyValuePair<string, string>> headers, bool fin = false) =>
            WriteAsync(buffer => _writer.WriteSynReply(buffer, streamId, fin, Profile.CreateResponseHeaders(status, null, headers)));

        /// <summary>One DATA frame (at most 8 KB of payload is usual; the caller chooses).</summary>
        public Task DataAsync(int streamId, byte[] data, bool fin) => WriteAsync(buffer => _writer.WriteData(buffer, streamId, data, fin));

        public Task SettingsAsync(params SettingsEntry[] entries) => WriteAsync(buffer => _writer.WriteSettings(buffer, 0, entries));

        public Task ResetAsync(int streamId, RstStatus status) => WriteAsync(buffer => _writer.WriteRstStream(buffer, streamId, status));

        public Task GoAwayAsync(int lastGoodStreamId) => WriteAsync(buffer => _writer.WriteGoAway(buffer, lastGoodStreamId, GoAwayStatus.Ok));

        public Task RawAsync(byte[] bytes) => WriteAsync(buffer => buffer.Write(bytes));

        /// <summary>Closes the TCP connection abruptly.</summary>
        public void Abort() => stream.Dispose();

        public void Dispose()
        {
            _writer.Dispose();
            _lock.Dispose();
        }

        private void WriteBody(System.Buffers.ArrayBufferWriter<byte> buffer, int streamId, byte[] body)
        {
            if (body.Length == 0)
            {
                return;
            }

            for (var offset = 0; offset < body.Length; offset += 8192)
            {
                var chunk = Math.Min(8192, body.Length - offset);
                _writer.WriteData(buffer, streamId, body.AsSpan(offset, chunk), offset + chunk == body.Length);
            }
        }

        private async Task WriteAsync(Action<System.Buffers.ArrayBufferWriter<byte>> write)
        {
            await _lock.WaitAsync();
            try
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                write(buffer);
                await stream.WriteAsync(buffer.WrittenMemory);
                await stream.FlushAsync();
            }
            finally
            {
                _lock.Release();
            }
        }
    }
}
