using SpdyLab.Reports.Statistics;

namespace SpdyLab.Reports.Tests.Statistics;

public class BootstrapTests
{
    [Test]
    public void Mean_ValueIsTheSampleMean_AndIntervalContainsIt()
    {
        var estimate = new Bootstrap().Mean([1000, 1200, 2000, 1800])!;
        Assert.That(estimate.Value, Is.EqualTo(1500));
        Assert.That(estimate.N, Is.EqualTo(4));
        Assert.That(estimate.Low, Is.LessThan(1500).And.GreaterThanOrEqualTo(1000));
        Assert.That(estimate.High, Is.GreaterThan(1500).And.LessThanOrEqualTo(2000));
    }

    [Test]
    public void Mean_SameSeed_GivesTheSameInterval_OtherSeedAnother()
    {
        double[] values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
        Assert.That(new Bootstrap(1).Mean(values), Is.EqualTo(new Bootstrap(1).Mean(values)));
        Assert.That(new Bootstrap(2).Mean(values), Is.Not.EqualTo(new Bootstrap(1).Mean(values)));
    }

    [Test]
    public void Mean_OneValueOrIdenticalValues_HasAZeroWidthInterval()
    {
        Assert.That(new Bootstrap().Mean([42]), Is.EqualTo(new Estimate(42, 42, 42, 1)));
        var same = new Bootstrap().Mean([7, 7, 7])!;
        Assert.That((same.Low, same.High), Is.EqualTo((7.0, 7.0)));
    }

    [Test]
    public void Mean_NoValues_IsNull() => Assert.That(new Bootstrap().Mean([]), Is.Null);

    [Test]
    public void Reduction_IsOneMinusRatioOfSums()
    {
        var estimate = new Bootstrap().Reduction([(1000, 600), (1200, 900), (2000, 1000), (1800, 1100)])!;
        Assert.That(estimate.Value, Is.EqualTo(0.4).Within(1e-12));
        Assert.That(estimate.Low, Is.LessThanOrEqualTo(0.4));
        Assert.That(estimate.High, Is.GreaterThanOrEqualTo(0.4));
    }

    [Test]
    public void Mean_LargeNormalSample_IntervalMatchesTheTextbookWidth()
    {
        // 400 values with sd 1: the 95% CI of the mean is about ±1.96/20 = ±0.098.
        var random = new Random(5);
        var values = Enumerable.Range(0, 400).Select(_ => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())).ToList();
        var estimate = new Bootstrap().Mean(values)!;
        Assert.That((estimate.High - estimate.Low) / 2, Is.EqualTo(0.098).Within(0.015));
    }

    [Test]
    public void Percentile_InterpolatesBetweenRanks()
    {
        double[] sorted = [10, 20, 30, 40, 50];
        Assert.That(Bootstrap.Percentile(sorted, 0), Is.EqualTo(10));
        Assert.That(Bootstrap.Percentile(sorted, 0.5), Is.EqualTo(30));
        Assert.That(Bootstrap.Percentile(sorted, 0.1), Is.EqualTo(14).Within(1e-9));
        Assert.That(Bootstrap.Percentile(sorted, 1), Is.EqualTo(50));
    }

    [Test]
    public void RelativeDifference_TwoIndependentSamples_RatioOfMeansMinusOneWithinTheExtremes()
    {
        var estimate = new Bootstrap().RelativeDifference([900, 1100, 1000], [1900, 2100])!;
        Assert.That(estimate.Value, Is.EqualTo(-0.5).Within(1e-12));
        Assert.That(estimate.N, Is.EqualTo(5));
        Assert.That(estimate.Low, Is.LessThan(-0.5).And.GreaterThanOrEqualTo(900.0 / 2100 - 1 - 1e-12));
        Assert.That(estimate.High, Is.GreaterThan(-0.5).And.LessThanOrEqualTo(1100.0 / 1900 - 1 + 1e-12));
    }

    [Test]
    public void RelativeDifference_EmptySampleOrOneLoadEach_NullOrThePointValue()
    {
        Assert.That(new Bootstrap().RelativeDifference([], [1000]), Is.Null);
        Assert.That(new Bootstrap().RelativeDifference([1200], [1000]), Is.EqualTo(new Estimate(1200.0 / 1000 - 1, 1200.0 / 1000 - 1, 1200.0 / 1000 - 1, 2)));
    }

    [Test]
    public void Statistic_ResamplesTheUnits_ValueFromAllOfThem()
    {
        double[] values = [1, 2, 3, 4];
        var estimate = new Bootstrap().Statistic(values.Length, indices => indices.Max(i => values[i]))!;
        Assert.That(estimate.Value, Is.EqualTo(4));
        Assert.That(estimate.High, Is.EqualTo(4));
        Assert.That(estimate.Low, Is.LessThan(4).And.GreaterThanOrEqualTo(1), "some resamples miss the largest unit");
        Assert.That(new Bootstrap().Statistic(0, _ => 0), Is.Null);
    }
}
