namespace SpdyLab.Client;

/// <summary>What kind of thing went wrong, so callers can react without parsing messages.</summary>
public enum ClientErrorKind
{
    /// <summary>Name resolution or TCP connect failed (refused, unreachable, timed out).</summary>
    Connect,
    /// <summary>The TLS handshake failed (certificate not trusted, no common ALPN protocol...).</summary>
    Tls,
    /// <summary>The peer negotiated or spoke something we did not ask for.</summary>
    Negotiation,
    /// <summary>The peer violated the protocol, or closed/reset the session (GOAWAY, broken framing).</summary>
    Protocol,
    /// <summary>One stream was reset by the peer (RST_STREAM) or refused.</summary>
    Stream,
    /// <summary>The request did not complete in time.</summary>
    Timeout,
}

/// <summary>
/// The one exception type the client throws at its API boundary. The message says what went wrong in
/// words a user can act on; <see cref="Kind"/> classifies it; the inner exception keeps the detail.
/// </summary>
public sealed class SpdyClientException(ClientErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public ClientErrorKind Kind { get; } = kind;
}
