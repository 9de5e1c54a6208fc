using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Client.Tests.Hostile;

/// <summary>
/// A loopback SPDY "server" that runs one script per connection, step by step: read the client's frames, then
/// send whatever the script says, well formed (through the codec's writer, with its own compression context)
/// or not (raw bytes). It ignores flow control and never answers on its own, so it can abuse the client.
/// </summary>
internal sealed class HostileSpdyServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<HostilePeer, CancellationToken, Task> _script;
    private readonly Task _accept;
    private readonly ConcurrentQueue<Exception> _scriptErrors = new();

    public HostileSpdyServer(SpdyProtocolProfile profile, Func<HostilePeer, CancellationToken, Task> script)
    {
        Profile = profile;
        _script = script;
        _listener.Start();
        _accept = AcceptAsync();
    }

    public SpdyProtocolProfile Profile { get; }

    public Uri Origin => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>The peer of the latest connection, once it is accepted.</summary>
    public TaskCompletionSource<HostilePeer> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Failures of the script itself other than the connection going away (they mean the test is wrong).</summary>
    public IReadOnlyCollection<Exception> ScriptErrors => _scriptErrors;

    private async Task AcceptAsync()
    {
        var sessions = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                sessions.Add(RunAsync(socket));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(sessions);
    }

    private async Task RunAsync(Socket socket)
    {
        await using var peer = new HostilePeer(Profile, socket);
        Connected.TrySetResult(peer);
        try
        {
            await _script(peer, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // the client went away, as hostile scripts expect sooner or later
        }
        catch (Exception e)
        {
            _scriptErrors.Enqueue(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}

/// <summary>One connection as the hostile script sees it.</summary>
internal sealed class HostilePeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly SpdyFrameReader _reader;
    private readonly SpdyFrameWriter _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public HostilePeer(SpdyProtocolProfile profile, Socket socket)
    {
        Profile = profile;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
        _reader = new SpdyFrameReader(profile);
        _writer = new SpdyFrameWriter(profile);
    }

    public SpdyProtocolProfile Profile { get; }

    /// <summary>Every frame the client sent, in order (DATA payloads are not kept).</summary>
    public ConcurrentQueue<SpdyFrame> Received { get; } = new();

    public long BytesSent { get; private set; }

    /// <summary>The client's next frame, or null when it closed the connection.</summary>
    public async Task<SpdyFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (_reader.TryReadFrame(ref buffer, out var frame))
            {
                if (frame is DataFrame data)
                {
                    frame = new DataFrame { Id = data.Id, Flags = data.Flags, Data = new ReadOnlySequence<byte>(new byte[data.Data.Length]) };
                }

                _input.AdvanceTo(buffer.Start);
                Received.Enqueue(frame);
                return frame;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Reads until a frame matches (the client's SETTINGS and WINDOW_UPDATEs come first).</summary>
    public async Task<T> ExpectAsync<T>(CancellationToken cancellationToken, Func<T, bool>? match = null) where T : SpdyFrame
    {
        while (true)
        {
            var frame = await ReadFrameAsync(cancellationToken) ?? throw new IOException($"the client closed before sending a {typeof(T).Name}");
            if (frame is T typed && (match is null || match(typed)))
            {
                return typed;
            }
        }
    }

    /// <summary>Reads and records frames until the client closes (or the token fires).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (await ReadFrameAsync(cancellationToken) is not null)
        {
        }
    }

    public Task<SynStreamFrame> ExpectRequestAsync(CancellationToken cancellationToken) => ExpectAsync<SynStreamFrame>(cancellationToken);

    public Task ReplyAsync(int streamId, int status = 200, bool fin = false, IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        WriteAsync(b => _writer.WriteSynReply(b, streamId, fin, Profile.CreateResponseHeaders(status, null, headers)));

    public Task ReplyRawHeadersAsync(int streamId, HeaderList headers, bool fin = false) => WriteAsync(b => _writer.WriteSynReply(b, streamId, fin, headers));

    public Task DataAsync(int streamId, int length, bool fin = false) => WriteAsync(b =>
    {
        var chunk = new byte[Math.Min(length, 16384)];
        for (var offset = 0; offset < length || (length == 0 && offset == 0); offset += chunk.Length)
        {
            var size = Math.Min(chunk.Length, length - offset);
            _writer.WriteData(b, streamId, chunk.AsSpan(0, size), fin && offset + size >= length);
            if (length == 0)
            {
                break;
            }
        }
    });

    public Task PushAsync(int associatedId, int pushedId, string path, byte flags = SpdyFlags.Unidirectional, HeaderList? headers = null) =>
        WriteAsync(b => _writer.WriteSynStream(b, pushedId, associatedId, 0, flags, headers ?? Profile.CreatePushHeaders("http", "127.0.0.1", path)));

    public Task WindowUpdateAsync(int streamId, int delta) => WriteAsync(b => _writer.WriteWindowUpdate(b, streamId, delta));

    /// <summary>Several WINDOW_UPDATEs in one write, so the client reads them in one go.</summary>
    public Task WindowUpdatesAsync(int streamId, params int[] deltas) => WriteAsync(b =>
    {
        foreach (var delta in deltas)
        {
            _writer.WriteWindowUpdate(b, streamId, delta);
        }
    });

    public Task SettingsAsync(params SettingsEntry[] entries) => WriteAsync(b => _writer.WriteSettings(b, 0, entries));

    public Task RawAsync(byte[] bytes) => WriteAsync(b => b.Write(bytes));

    /// <summary>Closes the connection without a GOAWAY.</summary>
    public void Abort() => _socket.Close(0);

    private async Task WriteAsync(Action<ArrayBufferWriter<byte>> write)
    {
        await _writeLock.WaitAsync();
        try
        {
            var buffer = new ArrayBufferWriter<byte>();
            write(buffer);
            await _stream.WriteAsync(buffer.WrittenMemory);
            BytesSent += buffer.WrittenCount;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync();
        await _stream.DisposeAsync();
        _reader.Dispose();
        _writer.Dispose();
        _writeLock.Dispose();
    }
}
