namespace SpdyLab.Server.Http;

/// <summary>
/// Server push for apps, available on requests that arrived over SPDY (absent over HTTP/1.1 and h2).
/// The pushed resource is fetched through the same app pipeline as a GET that inherits the request's
/// headers (SPDY/3 §3.3) and sent on a unidirectional stream associated with this request.
/// </summary>
public interface ISpdyPushFeature
{
    /// <summary>False once the response is complete or the session forbids pushing.</summary>
    bool CanPush { get; }

    /// <summary>
    /// Pushes <paramref name="pathOrUrl"/> (an absolute path, or a same-origin absolute URL). Completes
    /// when the pushed stream is opened (SYN_STREAM sent; its body follows on its own), with false
    /// when it was not pushed (not same-origin, not a 200 response, push disabled or refused).
    /// </summary>
    Task<bool> PushAsync(string pathOrUrl, IEnumerable<KeyValuePair<string, string>>? headers = null, int? priority = null);
}

/// <summary>Identifies a request that arrived over SPDY: the version and the stream.</summary>
public interface ISpdyStreamFeature
{
    /// <summary>"spdy/2", "spdy/3" or "spdy/3.1".</summary>
    string Protocol { get; }

    int StreamId { get; }

    /// <summary>Priority, 0 highest; 0-3 in SPDY/2, 0-7 in SPDY/3.</summary>
    int Priority { get; }

    /// <summary>True for a pushed resource's synthesized request.</summary>
    bool IsPush { get; }
}
