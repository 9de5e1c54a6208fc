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
    private readonly Stack<PooledRequest> _idle = new();

    public int Capacity => capacity;

    /// <summary>Idle pairs (for tests).</summary>
    public int IdleCount
    {
        get
        {
            lock (_idle)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>A transport over <paramref name="stream"/> and an idle context (started by the caller).</summary>
    public PooledRequest Rent(SpdyStream stream)
    {
        PooledRequest? pooled;
        lock (_idle)
        {
            _idle.TryPop(out pooled);
        }
        if (pooled is null)
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
        if (!pooled.Context.TryEndForReuse())
        {
            return false;
        }
        lock (_idle)
        {
            if (_idle.Count >= capacity)
            {
                return false;
            }
            pooled.Transport.Detach();
            _idle.Push(pooled);
            return true;
        }
    }
}

/// <summary>A request context and the transport it runs over, pooled together.</summary>
internal sealed record PooledRequest(SpdyRequestContext Context, SessionStreamTransport Transport);
