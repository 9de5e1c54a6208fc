namespace SpdyLab.Server.Http;

/// <summary>
/// What a request context needs from one SPDY stream: send the response head and body, reset, and
/// open pushed streams. The engine adapter implements it over a session stream; the push machinery
/// implements it for a response that is not on the wire yet. Keeps the HTTP features independent of
/// the session engine's API and testable without sockets.
/// </summary>
internal abstract class StreamTransport
{
    /// <summary>Sends the response head (SYN_REPLY, or a push's SYN_STREAM). Called once.</summary>
    public abstract ValueTask SendHeadersAsync(int status, IReadOnlyList<KeyValuePair<string, string>> headers, bool endStream, CancellationToken cancellationToken);

    /// <summary>Sends body bytes (DATA frames, flow control permitting); the memory may be reused once this completes.</summary>
    public abstract ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken);

    /// <summary>
    /// Sends the response head and its whole body, then FIN: one call for the common small response, so an
    /// engine can queue both at once. The memory may be reused once this completes.
    /// </summary>
    public virtual async ValueTask SendResponseAsync(int status, IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        await SendHeadersAsync(status, headers, endStream: false, cancellationToken);
        await SendDataAsync(body, endStream: true, cancellationToken);
    }

    /// <summary>Abandons the stream: RST_STREAM CANCEL (<paramref name="cancel"/>) or INTERNAL_ERROR.</summary>
    public abstract void Reset(bool cancel);

    /// <summary>
    /// True when <see cref="Reset"/> has cancelled <see cref="Aborted"/> by the time it returns, whatever the stream's
    /// state: a request context can then use <see cref="Aborted"/> as its RequestAborted token instead of a linked source.
    /// </summary>
    public virtual bool ResetCancelsAborted => false;

    /// <summary>Cancelled when the peer resets the stream or the session ends.</summary>
    public virtual CancellationToken Aborted => CancellationToken.None;

    /// <summary>Whether this stream can have pushed streams associated with it.</summary>
    public virtual bool CanPush => false;

    /// <summary>
    /// Opens a pushed stream associated with this one: a unidirectional SYN_STREAM carrying the URL
    /// (scheme, host, path) and the response head. Null when the session no longer allows it.
    /// </summary>
    public virtual ValueTask<StreamTransport?> OpenPushAsync(PushTarget target, int status, IReadOnlyList<KeyValuePair<string, string>> headers,
        bool endStream, CancellationToken cancellationToken)
        => ValueTask.FromResult<StreamTransport?>(null);
}

/// <summary>The URL and priority of a resource to push.</summary>
/// <param name="Scheme">"http" or "https".</param>
/// <param name="Host">the authority (host[:port]).</param>
/// <param name="PathAndQuery">absolute path with query.</param>
/// <param name="Priority">SPDY/3 scale 0 (highest) to 7; null: the associated stream's.</param>
public sealed record PushTarget(string Scheme, string Host, string PathAndQuery, int? Priority)
{
    public string Url => $"{Scheme}://{Host}{PathAndQuery}";
}
