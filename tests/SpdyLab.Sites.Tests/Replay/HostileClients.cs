using System.Net;
using System.Net.Sockets;
using System.Text;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Framing;
using SpdyLab.Testing;

namespace SpdyLab.Sites.Tests.Replay;

/// <summary>What a hostile request got back: a status (null when the server closed or reset first) and the body.</summary>
public sealed record HostileAnswer(int? Status, string Body, bool Closed, string How)
{
    public override string ToString() => $"{How}: status {Status?.ToString() ?? "none"}, closed {Closed}, body {Body.Length} chars";
}

/// <summary>
/// HTTP/1.1 over a raw socket: the request bytes go out exactly as given (HttpClient would validate and
/// normalize them), the answer is read until the server closes (requests carry Connection: close).
/// </summary>
public static class RawHttp1
{
    public static async Task<HostileAnswer> SendAsync(Uri server, byte[] request, TimeSpan bound, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port), cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(bound);
        // The server may answer (431, 414) and close before a huge request is all sent: send in the
        // background and ignore the reset.
        var send = Task.Run(async () =>
        {
            try
            {
                await socket.SendAsync(request, SocketFlags.None, timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }, CancellationToken.None);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        var closed = false;
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    closed = true;
                    break;
                }
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            closed = true; // reset
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        await send;
        var text = Encoding.Latin1.GetString(received.ToArray());
        int? status = text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && text.Length >= 12 && int.TryParse(text.AsSpan(9, 3), out var s) ? s : null;
        var bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return new HostileAnswer(status, bodyStart < 0 ? "" : text[(bodyStart + 4)..], closed, "http/1.1");
    }

    public static byte[] Get(string target, string? host, IEnumerable<string>? extraLines = null)
    {
        var text = new StringBuilder($"GET {target} HTTP/1.1\r\n");
        if (host is not null)
        {
            text.Append($"Host: {host}\r\n");
        }
        foreach (var line in extraLines ?? [])
        {
            text.Append(line).Append("\r\n");
        }
        text.Append("Connection: close\r\n\r\n");
        return Encoding.Latin1.GetBytes(text.ToString());
    }
}

/// <summary>
/// A SPDY/3.1 client that sends whatever header block it is given (nothing is validated) and reads the server's
/// frames until the answer, keeping pushed streams; the socket and the framing are the shared
/// <see cref="RawSpdyPeer"/>'s.
/// </summary>
public sealed class RawSpdy : IDisposable
{
    readonly RawSpdyPeer _peer;
    int _nextStreamId = 1;

    RawSpdy(RawSpdyPeer peer) => _peer = peer;

    public static async Task<RawSpdy> ConnectAsync(Uri server, CancellationToken cancellationToken) =>
        new(await RawSpdyPeer.ConnectAsync(server, cancellationToken));

    /// <summary>A stream the server pushed: its SYN_STREAM headers and body (complete once FIN came).</summary>
    public sealed class Push
    {
        public required HeaderList Headers { get; init; }
        public MemoryStream Body { get; } = new();
        public bool Complete { get; set; }
        public string Url => $"{Headers.Get(":scheme")}://{Headers.Get(":host")}{Headers.Get(":path")}";
    }

    /// <summary>Pushed streams seen so far, by stream id.</summary>
    public Dictionary<int, Push> Pushes { get; } = [];

    /// <summary>The last SYN_REPLY's headers of the last request.</summary>
    public HeaderList? LastReplyHeaders { get; private set; }

    /// <summary>The request headers of a GET, for tests to spoil.</summary>
    public static HeaderList Request(string host, string path) => new HeaderList()
        .Add(":method", "GET").Add(":path", path).Add(":version", "HTTP/1.1").Add(":host", host).Add(":scheme", "http");

    /// <summary>Sends one SYN_STREAM (FIN) and reads until its answer: the SYN_REPLY's status and the
    /// body up to FIN, a RST_STREAM, a GOAWAY, or the connection's end.</summary>
    public async Task<HostileAnswer> SendAsync(HeaderList headers, TimeSpan bound, CancellationToken cancellationToken)
    {
        var streamId = _nextStreamId;
        _nextStreamId += 2;
        try
        {
            await _peer.SendAsync(_peer.SynStream(streamId, headers, fin: true), cancellationToken);
        }
        catch (SocketException)
        {
            return new HostileAnswer(null, "", true, "spdy: closed while sending");
        }
        var deadline = DateTime.UtcNow + bound;
        int? status = null;
        var body = new MemoryStream();
        while (DateTime.UtcNow < deadline)
        {
            var frame = await _peer.ReadFrameAsync(deadline - DateTime.UtcNow, cancellationToken);
            switch (frame)
            {
                case null:
                    return new HostileAnswer(status, Encoding.Latin1.GetString(body.ToArray()), Closed: true, "spdy: connection ended");
                case GoAwayFrame goAway:
                    return new HostileAnswer(status, "", Closed: true, $"spdy: GOAWAY {goAway.Status}");
                case RstStreamFrame rst when rst.Id == streamId:
                    return new HostileAnswer(status, "", Closed: false, $"spdy: RST_STREAM {rst.Status}");
                case SynStreamFrame or DataFrame when KeepPush(frame):
                    break;
                case SynReplyFrame reply when reply.Id == streamId:
                    LastReplyHeaders = reply.Headers;
                    var text = reply.Headers.Get(":status") ?? "";
                    status = text.Length >= 3 && int.TryParse(text.AsSpan(0, 3), out var s) ? s : -1;
                    if ((reply.Flags & SpdyFlags.Fin) != 0)
                    {
                        return new HostileAnswer(status, "", Closed: false, "spdy: SYN_REPLY");
                    }
                    break;
                case DataFrame data when data.Id == streamId:
                    foreach (var segment in data.Data)
                    {
                        body.Write(segment.Span);
                    }
                    if ((data.Flags & SpdyFlags.Fin) != 0)
                    {
                        return new HostileAnswer(status, Encoding.Latin1.GetString(body.ToArray()), Closed: false, "spdy: SYN_REPLY + DATA");
                    }
                    break;
            }
        }
        return new HostileAnswer(status, Encoding.Latin1.GetString(body.ToArray()), Closed: false, "spdy: no answer within the bound");
    }

    /// <summary>Reads on until every push seen is complete (or the bound passes): true when all completed.</summary>
    public async Task<bool> FinishPushesAsync(TimeSpan bound, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + bound;
        while (Pushes.Values.Any(p => !p.Complete) && DateTime.UtcNow < deadline)
        {
            if (await _peer.ReadFrameAsync(deadline - DateTime.UtcNow, cancellationToken) is not { } frame)
            {
                return false;
            }
            KeepPush(frame);
        }
        return Pushes.Values.All(p => p.Complete);
    }

    /// <summary>A pushed stream's SYN_STREAM (even id) or DATA goes into <see cref="Pushes"/>: true if it was one.</summary>
    bool KeepPush(SpdyFrame frame)
    {
        switch (frame)
        {
            case SynStreamFrame pushed when pushed.Id % 2 == 0:
                Pushes[pushed.Id] = new Push { Headers = pushed.Headers, Complete = (pushed.Flags & SpdyFlags.Fin) != 0 };
                return true;
            case DataFrame data when Pushes.TryGetValue(data.Id, out var push):
                foreach (var segment in data.Data)
                {
                    push.Body.Write(segment.Span);
                }
                push.Complete |= (data.Flags & SpdyFlags.Fin) != 0;
                return true;
            default:
                return false;
        }
    }

    public void Dispose() => _peer.Dispose();
}
