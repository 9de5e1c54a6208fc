using System.Diagnostics;
using System.Globalization;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// How long work queued to the .NET thread pool waits before a pool thread runs it: every 20 ms a
/// dedicated thread queues a tiny work item and the item records the delay. The page loads' socket
/// continuations run on the same pool, so this delay is added to their latency; blocked pool threads
/// (synchronous waits) show up here as delays of tens to hundreds of milliseconds. Also samples the
/// pool's thread count and queue length. For the measurements in docs/lab.md (SPDYLAB_PROFILE=1).
/// </summary>
public sealed class PoolLatencyProbe : IDisposable
{
    private readonly List<double> delaysMs = [];
    private readonly Thread thread;
    private volatile bool stopping;
    private int maxThreads;
    private long maxQueued;

    public PoolLatencyProbe()
    {
        thread = new Thread(Run) { IsBackground = true, Name = "pool latency probe" };
        thread.Start();
    }

    private void Run()
    {
        while (!stopping)
        {
            long queued = Stopwatch.GetTimestamp();
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                var ms = Stopwatch.GetElapsedTime(queued).TotalMilliseconds;
                lock (delaysMs) delaysMs.Add(ms);
            }, null);
            maxThreads = Math.Max(maxThreads, ThreadPool.ThreadCount);
            maxQueued = Math.Max(maxQueued, ThreadPool.PendingWorkItemCount);
            Thread.Sleep(20);
        }
    }

    /// <summary>"pool dispatch delay ms: median M, p99 P, max X (n N); pool threads up to T, queue up to Q".</summary>
    public string Report()
    {
        List<double> sorted;
        lock (delaysMs) sorted = [.. delaysMs.Order()];
        if (sorted.Count == 0) return "pool dispatch delay: no samples";
        double At(double q) => SortedSamples.At(sorted, q);
        return string.Create(CultureInfo.InvariantCulture,
            $"pool dispatch delay ms: median {At(0.5):0.00}, p90 {At(0.9):0.0}, p99 {At(0.99):0.0}, max {sorted[^1]:0.0} (n {sorted.Count}); " +
            $"pool threads up to {maxThreads}, queue up to {maxQueued}");
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
    }
}
