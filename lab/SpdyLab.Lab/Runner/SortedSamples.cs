namespace SpdyLab.Lab.Runner;

/// <summary>Quantiles of samples already sorted ascending, for the runner's probes' one-line reports.</summary>
internal static class SortedSamples
{
    /// <summary>The sample at fraction <paramref name="q"/> of the way up (nearest rank, no interpolation).</summary>
    public static double At(IReadOnlyList<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
