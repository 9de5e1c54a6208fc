using SpdyLab.Server.Http;

namespace SpdyLab.Server.Tests.Http;

public class ResponseLockTests
{
    [Test, CancelAfter(5000)]
    public async Task EnterAsync_Uncontended_CompletesAtOnce(CancellationToken cancellationToken)
    {
        var gate = new ResponseLock();

        var first = gate.EnterAsync(cancellationToken);
        Assert.That(first.IsCompletedSuccessfully, Is.True);
        await first;
        gate.Exit();

        Assert.That(gate.EnterAsync(cancellationToken).IsCompletedSuccessfully, Is.True);
    }

    [Test, CancelAfter(5000)]
    public async Task EnterAsync_WhileHeld_WaitsUntilExit(CancellationToken cancellationToken)
    {
        var gate = new ResponseLock();
        await gate.EnterAsync(cancellationToken);

        await AssertNextCallerWaitsForExitAsync(gate, cancellationToken);
    }

    [Test, CancelAfter(5000)]
    public async Task EnterAsync_WaiterCancelled_LockStillPassesToTheNextWaiter(CancellationToken cancellationToken)
    {
        var gate = new ResponseLock();
        await gate.EnterAsync(cancellationToken);
        using var cancel = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(cancel.Token).AsTask();
        var third = gate.EnterAsync(cancellationToken).AsTask();

        cancel.Cancel();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(third.IsCompleted, Is.False);
        gate.Exit();

        await third.WaitAsync(cancellationToken);
        // Held by the third caller only: a fourth waits, and gets it when the third leaves.
        await AssertNextCallerWaitsForExitAsync(gate, cancellationToken);
    }

    /// <summary>With <paramref name="gate"/> held by one caller: the next caller waits, gets the lock when the holder
    /// exits, and once it exits too the lock is free.</summary>
    private static async Task AssertNextCallerWaitsForExitAsync(ResponseLock gate, CancellationToken cancellationToken)
    {
        var next = gate.EnterAsync(cancellationToken).AsTask();
        await Task.Delay(50, cancellationToken);
        Assert.That(next.IsCompleted, Is.False);

        gate.Exit();
        await next.WaitAsync(cancellationToken);
        gate.Exit();
        Assert.That(gate.EnterAsync(cancellationToken).IsCompletedSuccessfully, Is.True);
    }

    [Test, CancelAfter(10000)]
    public async Task EnterAsync_ManyConcurrentCallers_NeverTwoInside(CancellationToken cancellationToken)
    {
        var gate = new ResponseLock();
        var inside = 0;
        var overlaps = 0;
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                await gate.EnterAsync(cancellationToken);
                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }
                if (i % 50 == 0)
                {
                    await Task.Yield();
                }
                Interlocked.Decrement(ref inside);
                gate.Exit();
            }
        }, cancellationToken));

        await Task.WhenAll(tasks);

        Assert.That(overlaps, Is.Zero);
    }
}
