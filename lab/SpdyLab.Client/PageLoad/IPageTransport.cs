namespace SpdyLab.Client.PageLoad;

/// <summary>
/// How a page's resources travel: HTTP/1.1 over a connection pool, SPDY sessions, or HTTP/2 connections
/// (the lab's own client). The loader hands each resource over once; the transport fills in the request as sent,
/// the response and the phase times, and calls <c>onHeaders</c> when the response headers arrive.
/// </summary>
public interface IPageTransport : IAsyncDisposable
{
    /// <summary>Short name for the result ("http/1.1", "spdy/3.1", "h2").</summary>
    string Protocol { get; }

    Task FetchAsync(ResourceLoad load, Action<ResourceLoad> onHeaders, CancellationToken cancellationToken);

    /// <summary>Every connection opened so far.</summary>
    IReadOnlyList<ConnectionRecord> Connections { get; }

    /// <summary>Responses the server pushed, by URL key; the loader takes them instead of requesting.</summary>
    PushCache? Pushes => null;

    /// <summary>Header-block bytes on the wire (sent, received) over all connections, when the protocol
    /// compresses headers per session and knows only totals (SPDY); null means the per-request figures are
    /// exact (HTTP/1.1, h2).</summary>
    (long Sent, long Received)? HeaderWireBytes => null;
}

/// <summary>
/// Resources a server pushed, waiting for the page to want them. A push used by the page counts as
/// used; what is left at the end was wasted bandwidth.
/// </summary>
public sealed class PushCache
{
    private readonly Dictionary<string, ResourceLoad> _pushed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Called before each look-up with <see cref="Add"/>, so a transport can move in what arrived since.</summary>
    public Action<Action<string, ResourceLoad>>? Refresh { get; init; }

    /// <summary>Completes once every push the transport has seen arrive can be taken from the cache.</summary>
    public Func<CancellationToken, Task>? Settle { get; init; }

    public Task SettleAsync(CancellationToken cancellationToken) => Settle?.Invoke(cancellationToken) ?? Task.CompletedTask;

    public void Add(string key, ResourceLoad pushed)
    {
        lock (_pushed)
        {
            _pushed.TryAdd(key, pushed);
        }
    }

    /// <summary>A push the session used for a request it was given (it arrived after the loader looked here).</summary>
    public void AddUsed(string key, ResourceLoad load)
    {
        lock (_pushed)
        {
            _pushed.TryAdd(key, load);
            _used.Add(key);
        }
    }

    /// <summary>Takes the push for key, if one arrived (or is arriving), marking it used.</summary>
    public ResourceLoad? Take(string key)
    {
        Refresh?.Invoke(Add);
        lock (_pushed)
        {
            if (_pushed.TryGetValue(key, out var load) && _used.Add(key))
            {
                return load;
            }

            return null;
        }
    }

    public IReadOnlyList<ResourceLoad> All
    {
        get
        {
            Refresh?.Invoke(Add);
            lock (_pushed)
            {
                return _pushed.Values.ToList();
            }
        }
    }

    public int Used
    {
        get
        {
            Refresh?.Invoke(Add);
            lock (_pushed)
            {
                return _used.Count;
            }
        }
    }

    public IReadOnlyList<ResourceLoad> Unused
    {
        get
        {
            Refresh?.Invoke(Add);
            lock (_pushed)
            {
                return _pushed.Where(p => !_used.Contains(p.Key)).Select(p => p.Value).ToList();
            }
        }
    }
}
