using SpdyLab.Protocol;
using SpdyLab.Server.Http;

namespace SpdyLab.Server.Hosting;

/// <summary>
/// A <see cref="StreamTransport"/> over one stream of the session engine. A session's request pool reuses it for the
/// session's next stream (<see cref="Attach"/>) together with its request context.
/// </summary>
internal sealed class SessionStreamTransport(SpdySession session, SpdyStream stream, bool pushEnabled) : StreamTransport
{
    private SpdyStream stream = stream;

    public SpdyStream Stream => stream;

    /// <summary>Serves another stream of the same session (the last one's request is over).</summary>
    public void Attach(SpdyStream next)
    {
        stream = next;
        ResetLocally = false;
    }

    /// <summary>Lets go of the finished stream while the transport waits in the pool.</summary>
    public void Detach() => stream = null!;

    public override CancellationToken Aborted => stream.Aborted;

    public override bool CanPush => pushEnabled && !stream.IsPushed && !session.IsGoingAway;

    public override ValueTask SendHeadersAsync(int status, IReadOnlyList<KeyValuePair<string, string>> headers, bool endStream, CancellationToken cancellationToken)
    {
        // SPDY/3 §3.2.2 (SPDY/2 › Response): ":status"/"status" and ":version"/"version", then the HTTP headers. Into a
        // list the session's writer takes back once it has compressed it (this side never looks at it again).
        var list = session.Profile.AddResponseHeaders(session.RentHeaderList(), status, null, headers);
        return stream.WriteHeadersAsync(list, endStream, cancellationToken);
    }

    public override ValueTask SendResponseAsync(int status, IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        // SYN_REPLY (or a push's HEADERS) and the body under one session-lock acquisition.
        var list = session.Profile.AddResponseHeaders(session.RentHeaderList(), status, null, headers);
        return stream.WriteReplyAndDataAsync(list, body, endStream: true, cancellationToken);
    }

    public override ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken) =>
        stream.WriteDataAsync(data, endStream, cancellationToken);

    /// <summary>True once we reset the stream (app failure, body timeout, abort), as opposed to the client.</summary>
    public bool ResetLocally { get; private set; }

    public override void Reset(bool cancel)
    {
        ResetLocally = true;
        stream.ResetAndCancel(cancel ? RstStatus.Cancel : RstStatus.InternalError);
    }

    public override bool ResetCancelsAborted => true;

    public override async ValueTask<StreamTransport?> OpenPushAsync(PushTarget target, int status, IReadOnlyList<KeyValuePair<string, string>> headers,
        bool endStream, CancellationToken cancellationToken)
    {
        if (!CanPush || stream.Aborted.IsCancellationRequested)
        {
            return null;
        }
        // SPDY/3 §3.3.1: unidirectional SYN_STREAM with Associated-To-Stream-ID, :scheme/:host/:path (v2: url),
        // and the response head (status, version, headers) in the same block.
        var list = session.Profile.CreatePushHeaders(target.Scheme, target.Host, target.PathAndQuery, status, headers);
        // The pushed GET's method too: not required by the spec, but node-spdy (spdy-transport) rejects a
        // SYN_STREAM without it ("Missing :method"), and it names what the pushed response answers.
        list.Set(session.Profile.MethodHeader, "GET");
        var priority = target.Priority is { } p ? session.Profile.ScalePriority(p) : stream.Priority;
        SpdyStream pushed;
        try
        {
            pushed = await session.PushAsync(stream, list, priority, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or SpdySessionClosedException or SpdyStreamResetException)
        {
            return null; // associated stream closed, session going away, or the client's stream limit reached
        }
        if (endStream)
        {
            await pushed.WriteDataAsync(ReadOnlyMemory<byte>.Empty, endStream: true, cancellationToken);
        }
        return new SessionStreamTransport(session, pushed, pushEnabled: false);
    }
}
