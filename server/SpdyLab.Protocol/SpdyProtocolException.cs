namespace SpdyLab.Protocol;

/// <summary>
/// A protocol violation, typed as the spec's two error kinds (spdy3 §2.4): a stream error is answered with
/// RST_STREAM(<see cref="StreamStatus"/>) and the session reads on; a session error is answered with
/// GOAWAY(last good stream id, <see cref="SessionStatus"/>) and the connection closes.
/// </summary>
public sealed class SpdyProtocolException : Exception
{
    private SpdyProtocolException(string message, bool isSessionError, int streamId, RstStatus streamStatus, GoAwayStatus sessionStatus)
        : base(message)
    {
        IsSessionError = isSessionError;
        StreamId = streamId;
        StreamStatus = streamStatus;
        SessionStatus = sessionStatus;
    }

    /// <summary>True: GOAWAY and close. False: RST_STREAM on <see cref="StreamId"/> and continue.</summary>
    public bool IsSessionError { get; }

    /// <summary>The stream concerned (0 if none). For a session error with a stream id, the engine first
    /// sends RST_STREAM(<see cref="StreamStatus"/>) on it (e.g. FRAME_TOO_LARGE, spdy3 §2.6.3).</summary>
    public int StreamId { get; }

    public RstStatus StreamStatus { get; }

    public GoAwayStatus SessionStatus { get; }

    public static SpdyProtocolException StreamError(int streamId, RstStatus status, string message) =>
        new($"stream {streamId}: {status}: {message}", false, streamId, status, GoAwayStatus.ProtocolError);

    public static SpdyProtocolException SessionError(GoAwayStatus status, string message, int streamId = 0, RstStatus streamStatus = RstStatus.ProtocolError) =>
        new($"session error {status}: {message}", true, streamId, streamStatus, status);
}
