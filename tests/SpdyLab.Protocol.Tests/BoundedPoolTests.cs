namespace SpdyLab.Protocol.Tests;

public class BoundedPoolTests
{
    [Test]
    public void Return_BeyondCapacity_ExtraLeftOutAndRentGivesBackOnlyWhatWasKept()
    {
        var pool = new BoundedPool<object>(2);
        object a = new(), b = new(), c = new();

        Assert.Multiple(() =>
        {
            Assert.That(pool.TryRent(out _), Is.False, "empty pool");
            Assert.That(pool.Return(a), Is.True);
            Assert.That(pool.Return(b), Is.True);
            Assert.That(pool.Return(c), Is.False, "full: left to the GC");
            Assert.That(pool.Count, Is.EqualTo(2));
        });

        var rented = new List<object>();
        while (pool.TryRent(out var item))
        {
            rented.Add(item);
        }

        Assert.That(rented, Is.EquivalentTo(new[] { a, b }));
        Assert.That(pool.Count, Is.Zero);
    }

    [Test, CancelAfter(10_000)]
    public void RentAndReturn_FromManyThreads_CountStaysWithinCapacityAndMatchesTheIdleObjects()
    {
        var pool = new BoundedPool<object>(8);
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            if (!pool.TryRent(out var item))
            {
                item = new object();
            }
            pool.Return(item);
        });

        var count = pool.Count;
        var idle = 0;
        while (pool.TryRent(out _))
        {
            idle++;
        }

        Assert.That(idle, Is.InRange(1, 8));
        Assert.That(count, Is.EqualTo(idle));
    }
}
