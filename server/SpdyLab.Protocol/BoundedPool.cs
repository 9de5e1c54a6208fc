using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace SpdyLab.Protocol;

/// <summary>
/// Idle objects kept for reuse, at most <see cref="Capacity"/> of them; one returned beyond that is left to the GC.
/// Lock-free (a queue and a count): rents and returns come from request work items on every thread-pool thread at
/// once, and a lock here showed as contended (Monitor.Enter's slow path at 4 % of the busy samples with 100 streams on
/// one session). What an object must have let go of before it is returned is the caller's business.
/// </summary>
public sealed class BoundedPool<T>(int capacity) where T : class
{
    private readonly ConcurrentQueue<T> _idle = new();
    private int _count;

    public int Capacity => capacity;

    /// <summary>Idle objects now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>An idle object, or false when there is none (the caller makes a new one).</summary>
    public bool TryRent([MaybeNullWhen(false)] out T item)
    {
        if (!_idle.TryDequeue(out item))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Keeps <paramref name="item"/> for a later <see cref="TryRent"/>; false when the pool is full.</summary>
    public bool Return(T item)
    {
        if (Interlocked.Increment(ref _count) > capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _idle.Enqueue(item);
        return true;
    }
}
