using SpdyLab.Protocol;
using SpdyLab.Server.Http;

namespace SpdyLab.Server.Hosting;

/// <summary>
/// One session's request contexts and stream transports, reused from one stream to the next (as Kestrel reuses its
/// HTTP/2 stream objects): a context with its two header dictionaries, response writer and stream view, response lock
/// and feature fields was ~1.5 KB made per request. Per session, so the connection facts a context keeps are the
/// same for every request it runs, and the lock is one session's streams only. Bounded: beyond
/// <see cref="Capacity"/> idle pairs the extra ones are left to the GC.
/// </summary>
internal sealed class SessionRequestPool(SpdySession session, SpdyConnectionInfo connection, bool pushEnabled, int capacity)
{
    private readonly BoundedPool<PooledRequest> _idle = new(capacity);

    /// <summary>Request header pairs above which a pair is not pooled (browsers send 10-30).</summary>
    public const int MaxPooledHeaderPairs = 64;

    public int Capacity => capacity;

    /// <summary>Idle pairs (for tests).</summary>
    public int IdleCount => _idle.Count;

    /// <summary>A transport over <paramref name="stream"/> and an idle context (started by the caller).</summary>
    public PooledRequest Rent(SpdyStream stream)
    {
        if (!_idle.TryRent(out var pooled))
        {
            return new PooledRequest(new SpdyRequestContext(connection), new SessionStreamTransport(session, stream, pushEnabled));
        }
        pooled.Transport.Attach(stream);
        return pooled;
    }

    /// <summary>
    /// Takes the pair back once its request is over (the runner returned): only when the context says nothing can still
    /// reach it (<see cref="SpdyRequestContext.TryEndForReuse"/>); otherwise both are left to the GC — the transport too,
    /// since pushes in flight keep the associated request's transport.
    /// </summary>
    public bool Return(PooledRequest pooled)
    {
        // Lists and dictionaries keep their capacity when cleared: a pair that carried an unusually large request (a
        // peer can send ~128k pairs in 1 KB of compressed block) would keep megabytes for the session's lifetime.
        if (pooled.RequestHeaders.Capacity > MaxPooledHeaderPairs)
        {
            return false;
        }
        if (!pooled.Context.TryEndForReuse())
        {
            return false;
        }
        pooled.Transport.Detach();
        return _idle.Return(pooled);
    }
}

/// <summary>
/// A request context and the transport it runs over, pooled together, with the request head and its header list the
/// connection handler fills per request (only the context and, when it pushes, its push coordinator read them; a
/// context that pushed is not pooled).
/// </summary>
internal sealed class PooledRequest(SpdyRequestContext context, SessionStreamTransport transport)
{
    public SpdyRequestContext Context => context;

    public SessionStreamTransport Transport => transport;

    public List<KeyValuePair<string, string>> RequestHeaders { get; } = [];

    /// <summary>Made with the first request's fields, then refilled.</summary>
    public Http.SpdyRequestHead? Head { get; set; }
}
