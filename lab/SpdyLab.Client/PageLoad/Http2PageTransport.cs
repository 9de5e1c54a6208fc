using System.Diagnostics.CodeAnalysis;
using SpdyLab.Client.Http2;

namespace SpdyLab.Client.PageLoad;

/// <summary>
/// HTTP/2 for the page loader, behaving like Chromium's: one connection per host (h2 by ALPN over TLS,
/// prior-knowledge h2c in cleartext), Chromium's SETTINGS and windows, HPACK indexing as Chromium's
/// encoder does, HEADERS with Chromium's priority fields and the RFC 9218 <c>priority</c> header. The
/// frames are the lab's own (<see cref="Http2ClientConnection"/>), so header bytes on the wire are known
/// per request. Requests the server did not process (GOAWAY, REFUSED_STREAM) are sent again, after a
/// GOAWAY on a new connection, as Chromium does.
/// Chromium also coalesces hosts that resolve to the same address onto one connection when the
/// certificate covers both; that is not modelled (the lab's worlds give each host its own address).
/// </summary>
public sealed class Http2PageTransport(PageConnector connector, bool tls, Func<double> clock) : IPageTransport
{
    private const int MaxAttempts = 3;

    // RFC 9113 §8.2.2: connection-specific fields are not sent; Host travels as :authority (§8.3.1). Recorded
    // pseudo-headers (HARs of h2 loads list them) and a recorded priority header are replaced by ours.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Content-Length", "Priority",
    };

    private readonly Dictionary<string, Task<(Http2ClientConnection Connection, ConnectionRecord Record)>> _connections = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Http2ClientConnection> _all = [];
    private readonly Dictionary<string, Task> _lastSent = new(StringComparer.OrdinalIgnoreCase);

    public string Protocol => "h2";

    public IReadOnlyList<ConnectionRecord> Connections => connector.Connections;

    /// <summary>Chromium's priority for a resource type (Blink's ResourceLoadPriority mapped to net's), and
    /// whether RFC 9218's incremental flag is set. "Other" (XHR, beacons, favicons) has no single Chromium value;
    /// LOW is the middle of what those get.</summary>
    public static (Http2RequestPriority Priority, bool Incremental) PriorityOf(ResourceType type) => type switch
    {
        ResourceType.Document => (Http2RequestPriority.Highest, true),
        ResourceType.Stylesheet => (Http2RequestPriority.Highest, false),
        ResourceType.Font => (Http2RequestPriority.Highest, false),
        ResourceType.Script => (Http2RequestPriority.Medium, false),
        ResourceType.Image => (Http2RequestPriority.Lowest, true),
        ResourceType.Media => (Http2RequestPriority.Lowest, true),
        _ => (Http2RequestPriority.Low, true),
    };

    public async Task FetchAsync(ResourceLoad load, Action<ResourceLoad> onHeaders, CancellationToken cancellationToken)
    {
        var resource = load.Resource;
        var (priority, incremental) = PriorityOf(resource.Type);
        var headers = resource.RequestHeaders
            .Where(h => !NotForwarded.Contains(h.Key) && !h.Key.StartsWith(':'))
            .Select(h => new KeyValuePair<string, string>(h.Key.ToLowerInvariant(), h.Value))
            .ToList();
        if (Http2Priorities.PriorityHeader(priority, incremental) is { } priorityHeader)
        {
            headers.Add(new("priority", priorityHeader));
        }

        load.RequestHeaders = headers;
        load.RequestHeaderBytesRaw = ResourceLoad.Http11RequestHeaderSize(resource.Method, resource.PathAndQuery, headers.Prepend(new("Host", resource.Authority)));
        load.HttpVersion = "HTTP/2.0";
        load.HeaderBytesKnown = true;
        var request = new Http2Request
        {
            Method = resource.Method,
            Scheme = tls ? "https" : "http",
            Authority = resource.Authority,
            Path = resource.PathAndQuery,
            Headers = headers,
            Priority = priority,
        };

        for (var attempt = 1; ; attempt++)
        {
            // Streams open in the order the loader hands requests over, also for those that waited for the
            // host's connection (continuations of one task resume in no set order).
            var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task previous;
            lock (_connections)
            {
                previous = _lastSent.GetValueOrDefault(resource.Authority, Task.CompletedTask);
                _lastSent[resource.Authority] = sent.Task;
            }

            Http2Stream? stream = null;
            try
            {
                ConnectionRecord record;
                try
                {
                    (var connection, record) = await ConnectionForAsync(resource.Authority, load, cancellationToken);
                    await previous;
                    load.ConnectionId = record.Id;
                    load.ServerAddress = record.Remote;
                    load.SendStart = clock();
                    stream = connection.Send(request, cancellationToken); // HEADERS queued in call order
                    load.SendEnd = load.SendStart;
                }
                finally
                {
                    sent.TrySetResult();
                }

                await stream.ResponseHeadersReceived;
                lock (record)
                {
                    record.Requests++;
                }

                load.RequestHeaderBytes = stream.RequestHeaderBlockBytes;
                load.FirstByte = clock();
                load.Status = stream.Status;
                load.StatusText = string.Empty;
                load.ResponseHeaders = stream.ResponseHeaders.ToList();
                load.ResponseHeaderBytesRaw = ResourceLoad.Http11ResponseHeaderSize(load.Status, load.StatusText, load.ResponseHeaders);
                onHeaders(load);
                await stream.Completion;
                load.ResponseHeaderBytes = stream.ResponseHeaderBlockBytes;
                load.Body = stream.Body;
                load.ResponseBodyWireBytes = stream.DataBytesOnWire;
                break;
            }
            catch (Http2StreamException e) when (e.Retryable && attempt < MaxAttempts)
            {
                // Not processed by the server (RFC 9113 §8.7): again on a fresh connection, as Chromium retries.
                load.SendStart = load.SendEnd = -1;
            }
            catch (Exception e) when (e is Http2StreamException or IOException or PageLoadException or ObjectDisposedException)
            {
                // A request that went out and then failed still cost its header block.
                load.RequestHeaderBytes = stream?.RequestHeaderBlockBytes ?? 0;
                load.ResponseHeaderBytes = stream?.ResponseHeaderBlockBytes ?? 0;
                load.Error = e.Message;
                break;
            }
        }

        load.End = clock();
    }

    /// <summary>The host's connection, opening it (or a new one after GOAWAY) on first use.</summary>
    private async Task<(Http2ClientConnection Connection, ConnectionRecord Record)> ConnectionForAsync(string authority, ResourceLoad load, CancellationToken cancellationToken)
    {
        Task<(Http2ClientConnection, ConnectionRecord)> task;
        var opener = false;
        lock (_connections)
        {
            if (!_connections.TryGetValue(authority, out task!)
                || (task.IsCompletedSuccessfully && !task.Result.Item1.CanOpenStreams)
                || task.IsFaulted)
            {
                task = OpenAsync(authority, load, cancellationToken);
                _connections[authority] = task;
                opener = true;
            }
        }

        var opened = await task;
        if (!opener)
        {
            load.ConnectStart = -1;
        }

        return opened;
    }

    private async Task<(Http2ClientConnection, ConnectionRecord)> OpenAsync(string authority, ResourceLoad load, CancellationToken cancellationToken)
    {
        var host = new Uri($"http://{authority}/").Host;
        load.ConnectStart = clock();
        var opened = await connector.ConnectAsync(host, host, tls ? ["h2"] : null, cancellationToken);
        load.ConnectEnd = load.ConnectStart + opened.Record.ConnectMs;
        if (tls)
        {
            load.TlsStart = load.ConnectEnd;
            load.TlsEnd = load.TlsStart + opened.Record.TlsMs;
            if (opened.Record.Alpn != "h2")
            {
                await opened.DisposeAsync();
                throw new PageLoadException($"{authority}: server chose ALPN '{opened.Record.Alpn ?? "(none)"}', not h2");
            }
        }

        var connection = Http2ClientConnection.Start(opened.Stream);
        lock (_connections)
        {
            _all.Add(connection);
        }

        return (connection, opened.Record);
    }

    [SuppressMessage("Design", "CA1031", Justification = "closing: errors no longer matter")]
    public async ValueTask DisposeAsync()
    {
        List<Http2ClientConnection> all;
        lock (_connections)
        {
            all = _all.ToList();
        }

        foreach (var connection in all)
        {
            try
            {
                await connection.DisposeAsync();
            }
            catch (Exception)
            {
            }
        }
    }
}
