namespace SpdyLab.Sites.Corpus;

/// <summary>
/// SplitMix64: a tiny seeded generator whose sequence is fixed by its definition (unlike System.Random,
/// whose algorithm may change between runtimes), so the corpus regenerates byte for byte.
/// </summary>
public sealed class Prng(ulong seed)
{
    ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, max).</summary>
    public int Next(int max) => max <= 0 ? 0 : (int)(NextUInt64() % (ulong)max);

    public int Next(int min, int max) => min + Next(max - min);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>A log-normal weight (median 1): sizes of web resources are heavy-tailed.</summary>
    public double LogNormal(double sigma)
    {
        // Box-Muller from two uniforms; (0,1] avoids log(0).
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        var normal = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        return Math.Exp(sigma * normal);
    }

    public Prng Fork(string label)
    {
        var h = 1469598103934665603UL;
        foreach (var c in label)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return new Prng(NextUInt64() ^ h);
    }
}
