using System.Threading.Tasks.Sources;

namespace SpdyLab.Protocol;

/// <summary>
/// An auto-reset signal for one waiter (the session's write loop) that allocates nothing per wait:
/// <see cref="SemaphoreSlim.WaitAsync()"/> allocates a task node every time it has to wait, which on a busy
/// session is once per batch of frames. Any thread may <see cref="Set"/>; signals while nobody waits coalesce.
/// </summary>
internal sealed class AsyncAutoResetSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Signalled = 1;
    private const int Waiting = 2;

    // The waiter's continuation runs on the thread pool, never inline in the thread that signals (the read
    // loop or an application's write call).
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    public void Set()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signalled:
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle)
                    {
                        return;
                    }

                    break;
                default:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        _core.SetResult(true);
                        return;
                    }

                    break;
            }
        }
    }

    /// <summary>Completes when <see cref="Set"/> has been called since the last wait. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled)
        {
            return ValueTask.CompletedTask;
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Signalled)
        {
            // Signalled between the two exchanges: consume it.
            Volatile.Write(ref _state, Idle);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, _core.Version);
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
