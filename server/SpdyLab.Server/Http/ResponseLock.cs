namespace SpdyLab.Server.Http;

/// <summary>
/// The response's async lock (app writes, StartAsync, completion). Uncontended — the usual case, one writer per
/// response — taking it is one interlocked increment and nothing else; a semaphore is made only when two callers
/// overlap. A benaphore: the count is holders plus waiters, and an exit that sees waiters hands the lock over with one
/// semaphore release. (A SemaphoreSlim per request cost an object and two Monitor rounds on every response.)
/// </summary>
internal sealed class ResponseLock
{
    private int _count;
    private SemaphoreSlim? _waiters;

    /// <summary>True when nobody holds the lock or waits for it (a cancelled waiter counts until its turn has passed).</summary>
    public bool IsFree => Volatile.Read(ref _count) == 0;

    /// <summary>Takes the lock; cancelling <paramref name="cancellationToken"/> gives up the wait (the lock is then not held).</summary>
    public ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _count) == 1)
        {
            return ValueTask.CompletedTask;
        }

        return WaitAsync(cancellationToken);
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _count) > 0)
        {
            Waiters.Release();
        }
    }

    private async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        var waiters = Waiters;
        try
        {
            await waiters.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Our place in line is still counted: take the hand-over when it comes and pass it on at once, so the
            // count and the semaphore stay in step.
            _ = waiters.WaitAsync().ContinueWith(static (_, state) => ((ResponseLock)state!).Exit(), this,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    private SemaphoreSlim Waiters
    {
        get
        {
            if (Volatile.Read(ref _waiters) is { } existing)
            {
                return existing;
            }

            var made = new SemaphoreSlim(0);
            return Interlocked.CompareExchange(ref _waiters, made, null) ?? made;
        }
    }
}
