namespace SpdyLab.Lab.Runner;

/// <summary>
/// Worlds torn down in the background: a measured page load's world is disposed (ferry threads joined,
/// `ip netns del`: ~60 ms here, several times that on a loaded machine, nearly all of it waiting) on a
/// dedicated thread while the worker starts its next trial in another world. Bounded: with more than
/// <see cref="MaxPending"/> teardowns pending, <see cref="AddAsync"/> completes only when they are all done,
/// so a worker waits (asynchronously, holding no pool thread) instead of piling up worlds.
/// </summary>
internal sealed class BackgroundTeardowns(int maxPending = BackgroundTeardowns.DefaultMaxPending)
{
    public const int DefaultMaxPending = 16;

    private readonly List<Task> pending = [];

    public int MaxPending { get; } = maxPending;

    /// <summary>Starts disposing <paramref name="world"/> on its own thread; the returned task is the back-pressure
    /// (already complete unless too many teardowns are pending).</summary>
    public Task AddAsync(IDisposable world)
    {
        var teardown = DedicatedThread.RunAsync("world teardown", () =>
        {
            using (TrialProfile.Measure("world: dispose (background)"))
            {
                world.Dispose();
            }
        });
        lock (pending)
        {
            pending.RemoveAll(t => t.IsCompleted);
            pending.Add(teardown);
            return pending.Count > MaxPending ? Task.WhenAll([.. pending]) : Task.CompletedTask;
        }
    }

    /// <summary>Completes when every teardown started so far is done (the run waits for this before it returns).</summary>
    public async Task CompleteAsync()
    {
        Task[] all;
        lock (pending) all = [.. pending];
        await Task.WhenAll(all);
        lock (pending) pending.RemoveAll(t => t.IsCompleted);
    }
}
