using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SpdyLab.Client.PageLoad;

/// <summary>
/// The browser model: navigates to a page's document, discovers subresources from the content as a
/// browser's parser does (HTML and CSS, parsed when each response completes) and, for what only a
/// script would reveal, from the recorded initiators when the initiating resource completes; fetches
/// each resource once over the chosen transport and measures the load. The load ends when the last
/// resource completes (the onload analogue).
/// </summary>
public sealed partial class PageLoader
{
    private readonly PageDescription _page;
    private readonly PageLoadOptions _options;
    private readonly Stopwatch _clock = new();
    private readonly Dictionary<string, ResourceLoad> _loads = new(StringComparer.Ordinal);
    private readonly List<ResourceLoad> _order = [];
    private readonly List<string> _unknownReferences = [];
    private readonly List<Task> _running = [];
    private readonly Queue<ResourceLoad> _toStart = new();
    private readonly Dictionary<string, TaskCompletionSource> _completed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _stylesheetsBeforeScript = new(StringComparer.Ordinal);
    private readonly HashSet<string> _waitingForWork = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IPageTransport _transport = null!;
    private CancellationToken _cancellationToken;
    private int _outstanding;
    private bool _prefetched;
    private bool _dispatching;

    private PageLoader(PageDescription page, PageLoadOptions options)
    {
        _page = page;
        _options = options;
    }

    private double Now() => _clock.Elapsed.TotalMilliseconds;

    public static async Task<PageLoadResult> LoadAsync(PageDescription page, PageLoadOptions options, CancellationToken cancellationToken)
    {
        WarmUp();
        var loader = new PageLoader(page, options);
        return await loader.RunAsync(cancellationToken);
    }

    private async Task<PageLoadResult> RunAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        _cancellationToken = timeout.Token;
        var connector = new PageConnector(_options.Hosts, _options.TlsOptions, Now, _options.BackupConnectAfter);
        _transport = CreateTransport(connector);
        var wallStart = DateTimeOffset.UtcNow;
        var timedOut = false;
        await using (_transport)
        {
            _clock.Start();
            if (_page.NavigationDelayMs > 0)
            {
                // The browser's own work before it asks for the document (load graph).
                await Task.Delay(TimeSpan.FromMilliseconds(_page.NavigationDelayMs), _cancellationToken);
            }

            Discover(_page.Document, "navigation");
            try
            {
                await _allDone.Task.WaitAsync(_cancellationToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
            }

            cancellationToken.ThrowIfCancellationRequested();
            List<ResourceLoad> loads;
            lock (_loads)
            {
                foreach (var load in _order.Where(l => !l.Completed))
                {
                    load.Error ??= $"not completed within {_options.Timeout.TotalSeconds:F0} s";
                }

                loads = _order.ToList();
            }

            // Before the transport closes: session counters and the push cache are read live.
            return PageLoadResult.Build(_page, _options, _transport, loads, connector.Connections, _unknownReferences.Distinct().ToList(), wallStart, timedOut);
        }
    }

    private static bool _warm;

    /// <summary>
    /// Runs the HTML parser, the CSS patterns and gzip once before the clock starts: their first use in a
    /// process costs hundreds of milliseconds of JIT and initialisation, which no browser pays per page.
    /// </summary>
    public static void WarmUp()
    {
        if (_warm)
        {
            return;
        }

        var origin = new Uri("http://warm.up/");
        using var gzipped = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("<html><head><link rel=stylesheet href=a.css><style>#a{background:url(b.png)}</style><script src=c.js></script></head><body background=d.gif><img src=e.png><iframe src=f.html></iframe></body></html>"u8);
        }

        var html = ResourceDiscovery.DecodeText(gzipped.ToArray(), "gzip", "text/html; charset=utf-8");
        _ = ResourceDiscovery.FromHtml(html, origin);
        _ = ResourceDiscovery.FromCss("@import url(x.css); /* c */ #b{background:url('y.png')}", origin);
        _warm = true;
    }

    private IPageTransport CreateTransport(PageConnector connector) => _options.Protocol switch
    {
        "http/1.1" => new Http11Transport(connector, _options.Tls, Now) { MaxConnections = _options.MaxConnectionsPerHost },
        "h2" => new Http2PageTransport(connector, _options.Tls, Now),
        "spdy/2" or "spdy/3" or "spdy/3.1" => _options.SpdyTransportFactory?.Invoke(new SpdyTransportContext
        {
            Options = _options,
            Connector = connector,
            Page = _page,
            Clock = Now,
        }) ?? new SpdyPageTransport(new SpdyTransportContext { Options = _options, Connector = connector, Page = _page, Clock = Now }),
        _ => throw new PageLoadException($"protocol '{_options.Protocol}' is not one of http/1.1, spdy/2, spdy/3, spdy/3.1, h2"),
    };

    /// <summary>Queues a resource the first time anything finds it; later finds are ignored. Requests are
    /// handed to the transport strictly in discovery order (see <see cref="DispatchAsync"/>).</summary>
    private void Discover(PageResource resource, string how)
    {
        bool startDispatch;
        lock (_loads)
        {
            if (_loads.ContainsKey(resource.Key) || _cancellationToken.IsCancellationRequested || resource.NotRequestedByBrowser)
            {
                return;
            }

            if (how is not ("hint" or "prefetch") && WorkBefore(resource) is { } wait)
            {
                // The browser works (parses, runs scripts) before it asks: the request waits for that long.
                if (_waitingForWork.Add(resource.Key))
                {
                    _outstanding++; // the pending request keeps the page open
                    _ = DiscoverAfterWorkAsync(resource, how, wait);
                }

                return;
            }

            var scheme = _options.Tls ? "https" : "http";
            var url = new UriBuilder(resource.Uri) { Scheme = scheme, Port = resource.Uri.IsDefaultPort ? -1 : resource.Uri.Port }.Uri;
            var load = new ResourceLoad(resource, url, _order.Count) { DiscoveredBy = how, DiscoveredAt = Now() };
            _loads[resource.Key] = load;
            _completed[resource.Key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _order.Add(load);
            _outstanding++;
            _toStart.Enqueue(load);
            startDispatch = !_dispatching;
            _dispatching = true;
        }

        if (startDispatch)
        {
            _ = DispatchAsync();
        }
    }

    /// <summary>
    /// How much longer the browser works before it asks for <paramref name="resource"/>: its recorded work
    /// (load graph) counted from the end of its trigger (the recorded initiator, or the document), or null
    /// when that time has passed, the trigger has not completed, or there is no recorded work.
    /// Called under the <c>_loads</c> lock.
    /// </summary>
    private TimeSpan? WorkBefore(PageResource resource)
    {
        if (resource.DiscoveryDelayMs <= 0)
        {
            return null;
        }

        var trigger = resource.InitiatorUrl is { } initiator && Uri.TryCreate(initiator, UriKind.Absolute, out var uri) && _page.Find(uri) is { } parent
            ? parent
            : _page.Document;
        if (!_loads.TryGetValue(trigger.Key, out var triggerLoad) || triggerLoad.End < 0)
        {
            return null;
        }

        var remaining = triggerLoad.End + resource.DiscoveryDelayMs - Now();
        return remaining >= 0.5 ? TimeSpan.FromMilliseconds(remaining) : null;
    }

    private async Task DiscoverAfterWorkAsync(PageResource resource, string how, TimeSpan wait)
    {
        try
        {
            await Task.Delay(wait, _cancellationToken);
            lock (_loads)
            {
                _waitingForWork.Remove(resource.Key);
            }

            Discover(resource, how);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            MarkCompleted(null);
        }
    }

    /// <summary>
    /// The one place requests start, one at a time in discovery order: a browser's single main thread.
    /// (Starting each on its own thread-pool work item let two finds of one parse reach the per-host
    /// queue, or the session, in either order.) Before looking in the push cache it waits until every
    /// push the sessions have read is in the cache: the engine hands pushed streams over off its read
    /// loop, so a push whose SYN_STREAM arrived before the content that revealed the resource could
    /// otherwise still be in flight, and the resource would be requested as well as pushed.
    /// </summary>
    private async Task DispatchAsync()
    {
        while (true)
        {
            ResourceLoad load;
            lock (_loads)
            {
                if (!_toStart.TryDequeue(out load!))
                {
                    _dispatching = false;
                    return;
                }
            }

            ResourceLoad? pushed = null;
            if (_transport.Pushes is { } pushes)
            {
                try
                {
                    await pushes.SettleAsync(_cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // The load timed out: the request still starts (and fails with the token) so the count stays right.
                }

                pushed = pushes.Take(load.Resource.Key);
            }

            var task = pushed is null ? FetchAsync(load) : AdoptPushAsync(load, pushed);
            lock (_loads)
            {
                _running.Add(task);
            }
        }
    }

    private async Task FetchAsync(ResourceLoad load)
    {
        try
        {
            // Runs synchronously up to the transport's first real wait (a connection, a reply), so the
            // transport sees requests in the order DispatchAsync starts them.
            await _transport.FetchAsync(load, OnHeaders, _cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            load.Error ??= e.Message;
            if (load.End < 0)
            {
                load.End = Now();
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        OnComplete(load);
    }

    /// <summary>A pushed response satisfies the resource: wait for the push to finish, then use it as the response.</summary>
    private async Task AdoptPushAsync(ResourceLoad load, ResourceLoad pushed)
    {
        await Task.Yield();
        try
        {
            await PushCompletion(pushed).WaitAsync(_cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        load.FromPush = true;
        load.ConnectionId = pushed.ConnectionId;
        load.ServerAddress = pushed.ServerAddress;
        load.SendStart = load.SendEnd = -1;
        load.FirstByte = pushed.FirstByte;
        load.End = Math.Max(pushed.End, load.DiscoveredAt);
        load.Status = pushed.Status;
        load.StatusText = pushed.StatusText;
        load.HttpVersion = pushed.HttpVersion;
        load.ResponseHeaders = pushed.ResponseHeaders;
        load.ResponseHeaderBytes = pushed.ResponseHeaderBytes;
        load.HeaderBytesKnown = pushed.HeaderBytesKnown;
        load.ResponseHeaderBytesRaw = pushed.ResponseHeaderBytesRaw;
        load.ResponseBodyWireBytes = pushed.ResponseBodyWireBytes;
        load.Body = pushed.Body;
        load.Error = pushed.Error;
        OnComplete(load);
    }

    /// <summary>Set by SPDY transports on the pushed load; completed when the push's stream ended.</summary>
    public static Task PushCompletion(ResourceLoad pushed) => pushed.PushDone?.Task ?? Task.CompletedTask;

    private void OnHeaders(ResourceLoad load)
    {
        if (_options.FollowHints && load.GetResponseHeader("X-Subresources") is { } hint)
        {
            foreach (Match url in QuotedUrl().Matches(hint))
            {
                if (Uri.TryCreate(load.Resource.Uri, url.Groups[1].Value, out var target) && _page.Find(target) is { } resource)
                {
                    Discover(resource, "hint");
                }
            }
        }

        if (_options.Prefetch && load.Order == 0 && !_prefetched)
        {
            _prefetched = true;
            foreach (var resource in _page.Resources.Skip(1))
            {
                Discover(resource, "prefetch");
            }
        }
    }

    private void OnComplete(ResourceLoad load)
    {
        try
        {
            if (load.Error is null && load.Body.Length > 0 && load.Status is >= 200 and < 300)
            {
                var contentType = load.GetResponseHeader("Content-Type") ?? string.Empty;
                var isHtml = load.Type == ResourceType.Document || contentType.Contains("html", StringComparison.OrdinalIgnoreCase);
                var isCss = load.Type == ResourceType.Stylesheet || contentType.Contains("text/css", StringComparison.OrdinalIgnoreCase);
                if (isHtml || isCss)
                {
                    var text = ResourceDiscovery.DecodeText(load.Body, load.GetResponseHeader("Content-Encoding"), contentType);
                    var references = isHtml ? ResourceDiscovery.FromHtml(text, load.Resource.Uri) : ResourceDiscovery.FromCss(text, load.Resource.Uri);
                    var stylesheets = new List<string>();
                    foreach (var reference in references)
                    {
                        if (_page.Find(reference.Url) is { } resource)
                        {
                            if (isHtml && resource.Type == ResourceType.Stylesheet)
                            {
                                stylesheets.Add(resource.Key);
                            }
                            else if (isHtml && resource.Type == ResourceType.Script && stylesheets.Count > 0)
                            {
                                lock (_loads)
                                {
                                    _stylesheetsBeforeScript.TryAdd(resource.Key, stylesheets.ToList());
                                }
                            }

                            Discover(resource, reference.How);
                        }
                        else
                        {
                            lock (_loads)
                            {
                                _unknownReferences.Add(reference.Url.AbsoluteUri);
                            }
                        }
                    }
                }
            }

            if (load.Status is >= 300 and < 400 && load.GetResponseHeader("Location") is { } location
                && Uri.TryCreate(load.Resource.Uri, location, out var target) && _page.Find(target) is { } redirected)
            {
                Discover(redirected, "redirect");
            }

            // What the content could not reveal (script-inserted, or missed by the parser): the recording's initiators.
            // A script runs only once the stylesheets before it in its document have loaded (a browser blocks script
            // execution on pending stylesheets), so what it inserts is queued then, not when its bytes arrive.
            var children = _page.ChildrenOf(load.Resource).ToList();
            if (children.Count > 0 && load.Type == ResourceType.Script && PendingStylesheetsBefore(load) is { Count: > 0 } pending)
            {
                lock (_loads)
                {
                    _outstanding++; // the deferred discovery keeps the page open
                }

                _ = DiscoverAfterAsync(pending, children);
            }
            else
            {
                DiscoverChildren(children);
            }
        }
        catch (Exception e)
        {
            load.Error ??= $"discovery failed: {e.Message}";
        }
        finally
        {
            MarkCompleted(load.Resource.Key);
        }
    }

    private void DiscoverChildren(List<PageResource> children)
    {
        foreach (var child in children)
        {
            Discover(child, child.InitiatorType is "script" or "redirect" ? child.InitiatorType : "initiator");
        }
    }

    private List<Task> PendingStylesheetsBefore(ResourceLoad script)
    {
        lock (_loads)
        {
            return _stylesheetsBeforeScript.TryGetValue(script.Resource.Key, out var sheets)
                ? sheets.Select(k => _completed.TryGetValue(k, out var done) ? done.Task : Task.CompletedTask).Where(t => !t.IsCompleted).ToList()
                : [];
        }
    }

    private async Task DiscoverAfterAsync(List<Task> stylesheets, List<PageResource> children)
    {
        try
        {
            await Task.WhenAll(stylesheets).WaitAsync(_cancellationToken);
            DiscoverChildren(children);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            MarkCompleted(null);
        }
    }

    /// <summary>One piece of outstanding work is over (a resource's completion and discovery, or a deferred discovery).</summary>
    private void MarkCompleted(string? key)
    {
        TaskCompletionSource? done = null;
        lock (_loads)
        {
            if (key is not null)
            {
                _completed.TryGetValue(key, out done);
            }

            _outstanding--;
            if (_outstanding == 0)
            {
                _allDone.TrySetResult();
            }
        }

        done?.TrySetResult();
    }

    [GeneratedRegex("\"([^\"]+)\"")]
    private static partial Regex QuotedUrl();
}
