namespace SpdyLab.Lab.Runner;

/// <summary>
/// Runs blocking work (`ip` processes waited for synchronously, namespace threads joined, ferry threads
/// joined) on a thread of its own instead of a thread-pool thread. The page loads' socket continuations
/// run on the pool, which starts with one thread per core (two here) and adds about one a second when
/// they are all blocked: with several worlds being set up and torn down at once, blocked pool threads
/// delayed other worlds' page loads (measured with <see cref="PoolLatencyProbe"/>: work queued to the
/// pool waited up to ~200 ms at -j 8). A thread start costs ~0.1 ms, a few per trial.
/// </summary>
internal static class DedicatedThread
{
    /// <summary>Runs <paramref name="work"/> on a new background thread; the task completes (asynchronously,
    /// never inline on that thread) with its result or exception.</summary>
    public static Task<T> RunAsync<T>(string name, Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }

    public static Task RunAsync(string name, Action work) => RunAsync(name, () => { work(); return true; });
}
