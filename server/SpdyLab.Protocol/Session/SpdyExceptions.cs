namespace SpdyLab.Protocol;

/// <summary>The stream was reset, by the peer (RST_STREAM received) or by us.</summary>
public sealed class SpdyStreamResetException(int streamId, RstStatus status, bool byPeer, string? detail = null)
    : IOException($"stream {streamId} reset {(byPeer ? "by the peer" : "locally")}: {status}{(detail is null ? string.Empty : $" ({detail})")}")
{
    public int StreamId { get; } = streamId;

    public RstStatus Status { get; } = status;

    public bool ByPeer { get; } = byPeer;
}

/// <summary>The session ended (GOAWAY, protocol error, connection closed) before the stream completed.</summary>
public sealed class SpdySessionClosedException(string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>True when the peer's GOAWAY said this stream was never processed (safe to retry elsewhere).</summary>
    public bool NotProcessed { get; init; }
}
