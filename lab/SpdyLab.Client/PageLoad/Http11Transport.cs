namespace SpdyLab.Client.PageLoad;

/// <summary>
/// HTTP/1.1 the way browsers of the SPDY paper's time did it: per host, at most
/// <see cref="MaxConnectionsPerHost"/> persistent connections, one request at a time on each (no
/// pipelining), requests waiting in a per-host FIFO in discovery order. A request that finds no idle
/// connection opens a new one while under the limit (paying TCP and TLS handshakes); whichever
/// connection frees up first takes the head of the queue.
/// </summary>
public sealed class Http11Transport(PageConnector connector, bool tls, Func<double> clock) : IPageTransport
{
    public const int MaxConnectionsPerHost = 6;

    private readonly Dictionary<string, HostQueue> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Task> _workers = [];
    private readonly CancellationTokenSource _stop = new();

    public string Protocol => "http/1.1";

    public int MaxConnections { get; init; } = MaxConnectionsPerHost;

    public IReadOnlyList<ConnectionRecord> Connections => connector.Connections;

    public Task FetchAsync(ResourceLoad load, Action<ResourceLoad> onHeaders, CancellationToken cancellationToken)
    {
        var job = new Job(load, onHeaders, cancellationToken);
        var host = load.Resource.Authority;
        lock (_hosts)
        {
            if (!_hosts.TryGetValue(host, out var queue))
            {
                _hosts[host] = queue = new HostQueue(host);
            }

            queue.Pending.Enqueue(job);
            if (queue.Idle.Count > 0)
            {
                queue.Idle.Dequeue().TrySetResult();
            }
            else if (queue.Connections < MaxConnections)
            {
                queue.Connections++;
                _workers.Add(Task.Run(() => RunConnectionAsync(queue)));
            }
        }

        return job.Done.Task;
    }

    /// <summary>One connection's life: connect, then take requests from the host's queue until the page is done.</summary>
    private async Task RunConnectionAsync(HostQueue queue)
    {
        Http11Connection? connection = null;
        var connectStart = clock();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Job? job;
                TaskCompletionSource? wake = null;
                lock (_hosts)
                {
                    if (!queue.Pending.TryDequeue(out job))
                    {
                        wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        queue.Idle.Enqueue(wake);
                    }
                }

                if (job is null)
                {
                    using var registration = _stop.Token.Register(() => wake!.TrySetResult());
                    await wake!.Task;
                    continue;
                }

                try
                {
                    if (connection is null || !connection.Reusable)
                    {
                        if (connection is not null)
                        {
                            await connection.DisposeAsync();
                        }

                        connectStart = clock();
                        job.Load.ConnectStart = connectStart;
                        var opened = await connector.ConnectAsync(queue.Host, queue.Host, tls ? ["http/1.1"] : null, job.CancellationToken);
                        job.Load.ConnectEnd = connectStart + opened.Record.ConnectMs;
                        if (tls)
                        {
                            job.Load.TlsStart = job.Load.ConnectEnd;
                            job.Load.TlsEnd = job.Load.TlsStart + opened.Record.TlsMs;
                        }

                        connection = new Http11Connection(opened, clock);
                    }

                    await connection.ExchangeAsync(job.Load, job.OnHeaders, job.CancellationToken);
                    job.Done.TrySetResult();
                }
                catch (Exception e) when (e is not OperationCanceledException || !job.CancellationToken.IsCancellationRequested)
                {
                    job.Load.Error = e.Message;
                    job.Load.End = clock();
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }

                    job.Done.TrySetResult();
                }
                catch (OperationCanceledException e)
                {
                    job.Done.TrySetCanceled(e.CancellationToken);
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        List<Task> workers;
        lock (_hosts)
        {
            workers = _workers.ToList();
        }

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private sealed class HostQueue(string host)
    {
        public string Host { get; } = host;

        public Queue<Job> Pending { get; } = new();

        public Queue<TaskCompletionSource> Idle { get; } = new();

        public int Connections { get; set; }
    }

    private sealed record Job(ResourceLoad Load, Action<ResourceLoad> OnHeaders, CancellationToken CancellationToken)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
