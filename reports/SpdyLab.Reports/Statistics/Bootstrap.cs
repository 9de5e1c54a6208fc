namespace SpdyLab.Reports.Statistics;

/// <summary>A figure with its 95% confidence interval and the number of observations (loads or pairs) behind it.</summary>
public sealed record Estimate(double Value, double Low, double High, int N)
{
    public Estimate Scale(double factor) => factor >= 0
        ? new(Value * factor, Low * factor, High * factor, N)
        : new(Value * factor, High * factor, Low * factor, N);
}

/// <summary>
/// Percentile bootstrap (Efron): resample the observations with replacement, recompute the statistic,
/// take the 2.5th and 97.5th percentiles. Deterministic: every estimate draws from a generator seeded
/// with the same seed, so a report is identical however often, and in whatever order, it is computed.
/// Paired statistics resample pairs (same site, run index, link, seed), so the variation between
/// sites and runs that HTTP and SPDY share cancels out of the speedup's interval.
/// </summary>
public sealed class Bootstrap(int seed = 20091112, int resamples = 2000)
{
    public int Seed { get; } = seed;
    public int Resamples { get; } = resamples;

    /// <summary>Mean of the values; null when there are none.</summary>
    public Estimate? Mean(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }
        return Resample(values.Count, values.Average(), indices =>
        {
            var sum = 0.0;
            foreach (var i in indices)
            {
                sum += values[i];
            }
            return sum / indices.Length;
        });
    }

    /// <summary>
    /// Relative reduction of the candidate against the baseline over pairs: 1 - sum(candidate) / sum(baseline),
    /// that is the paper's "speedup" (1 - mean SPDY PLT / mean HTTP PLT) computed on paired loads. Also the
    /// header-compression saving (1 - wire / raw). Null when there are no pairs.
    /// </summary>
    public Estimate? Reduction(IReadOnlyList<(double Baseline, double Candidate)> pairs)
    {
        if (pairs.Count == 0)
        {
            return null;
        }
        return Resample(pairs.Count, ReductionOf(pairs, Enumerable.Range(0, pairs.Count).ToArray()), indices => ReductionOf(pairs, indices));
    }

    /// <summary>
    /// mean(candidate) / mean(baseline) − 1 for two independent samples (no pairing: the loads of one do not
    /// match the loads of the other), each resampled on its own. n is the number of loads in both. Null when
    /// either sample is empty.
    /// </summary>
    public Estimate? RelativeDifference(IReadOnlyList<double> candidate, IReadOnlyList<double> baseline)
    {
        if (candidate.Count == 0 || baseline.Count == 0)
        {
            return null;
        }
        static double Ratio(double c, double b) => b == 0 ? 0 : c / b - 1;
        var value = Ratio(candidate.Average(), baseline.Average());
        if (candidate.Count == 1 && baseline.Count == 1)
        {
            return new Estimate(value, value, value, 2);
        }
        var random = new Random(Seed);
        var statistics = new double[Resamples];
        for (var r = 0; r < Resamples; r++)
        {
            statistics[r] = Ratio(ResampledMean(candidate, random), ResampledMean(baseline, random));
        }
        Array.Sort(statistics);
        return new Estimate(value, Percentile(statistics, 0.025), Percentile(statistics, 0.975), candidate.Count + baseline.Count);
    }

    private static double ResampledMean(IReadOnlyList<double> values, Random random)
    {
        var sum = 0.0;
        for (var i = 0; i < values.Count; i++)
        {
            sum += values[random.Next(values.Count)];
        }
        return sum / values.Count;
    }

    /// <summary>
    /// Any statistic of <paramref name="n"/> units (pairs, or groups of loads that share a site, run and seed),
    /// by resampling the units: <paramref name="statistic"/> gets the chosen indices (with repeats). Null when n is 0.
    /// </summary>
    public Estimate? Statistic(int n, Func<int[], double> statistic)
    {
        if (n == 0)
        {
            return null;
        }
        return Resample(n, statistic(Enumerable.Range(0, n).ToArray()), statistic);
    }

    private static double ReductionOf(IReadOnlyList<(double Baseline, double Candidate)> pairs, int[] indices)
    {
        double baseline = 0, candidate = 0;
        foreach (var i in indices)
        {
            baseline += pairs[i].Baseline;
            candidate += pairs[i].Candidate;
        }
        return baseline == 0 ? 0 : 1 - candidate / baseline;
    }

    private Estimate Resample(int n, double value, Func<int[], double> statistic)
    {
        if (n == 1)
        {
            return new Estimate(value, value, value, 1);
        }
        var random = new Random(Seed);
        var statistics = new double[Resamples];
        var indices = new int[n];
        for (var r = 0; r < Resamples; r++)
        {
            for (var i = 0; i < n; i++)
            {
                indices[i] = random.Next(n);
            }
            statistics[r] = statistic(indices);
        }
        Array.Sort(statistics);
        return new Estimate(value, Percentile(statistics, 0.025), Percentile(statistics, 0.975), n);
    }

    /// <summary>Linear interpolation between closest ranks (the R-7 / Excel PERCENTILE.INC definition).</summary>
    internal static double Percentile(double[] sorted, double p)
    {
        var position = p * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
