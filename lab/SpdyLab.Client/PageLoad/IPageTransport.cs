namespace SpdyLab.Client.PageLoad;

/// <summary>
/// How a page's resources travel: HTTP/1.1 over a connection pool, SPDY sessions, or HTTP/2 through
/// HttpClient. The loader hands each resource over once; the transport fills in the request as sent,
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
}

/// <summary>
/// Resources a server pushed, waiting for the page to want them. A push used by the page counts as
/// used; what is left at the end was wasted bandwidth.
/// </summary>
public sealed class PushCache
{
    private readonly Dictionary<string, ResourceLoad> _pushed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public void Add(string key, ResourceLoad pushed)
    {
        lock (_pushed)
        {
            _pushed.TryAdd(key, pushed);
        }
    }

    /// <summary>Takes the push for key, if one arrived (or is arriving), marking it used.</summary>
    public ResourceLoad? Take(string key)
    {
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
            lock (_pushed)
            {
                return _pushed.Where(p => !_used.Contains(p.Key)).Select(p => p.Value).ToList();
            }
        }
    }
}
