using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Experiments;

public class ExperimentMatrixTests
{
    private static Experiment Sample(int runs = 3) => ExperimentLoader.Parse($$"""
        experiment: grid
        runs: {{runs}}
        seed: 7
        rtt: 40ms
        sites: [a, b]
        designs:
          - design: table1
            links: [dsl, cable]
            loss: 1%
            configurations:
              - {protocol: http/1.1}
              - {protocol: spdy/2, domain: multi}
              - {protocol: spdy/2, domain: single}
              - {protocol: spdy/2, domain: single, feature: push}
          - design: table2
            links: cable
            loss: [0%, 2%]
            configurations: [{protocol: http/1.1}, {protocol: spdy/2, domain: single}]
        """, "grid.yaml");

    [Test]
    public void Expand_EveryCombination_OnceEach()
    {
        var plan = ExperimentMatrix.Expand(Sample(), () => throw new AssertionException("sites are listed"));

        // table1: 2 links x 4 configurations x 2 sites x 3 runs; table2: 2 losses x 2 configurations x 2 sites x 3 runs.
        Assert.That(plan, Has.Count.EqualTo(48 + 24));
        Assert.That(plan.Select(t => t.Key).Distinct().Count(), Is.EqualTo(plan.Count));
        Assert.That(plan.Count(t => t.Design == "table2" && t.Condition.Loss == 0.02), Is.EqualTo(12));
        Assert.That(plan.All(t => t.Condition.RttMs == 40), Is.True);
    }

    [Test]
    public void Expand_PairedDesign_EveryConfigurationOfASiteAndRunSharesTheSeed()
    {
        var plan = ExperimentMatrix.Expand(Sample(), () => []);

        foreach (var pair in plan.GroupBy(t => (t.Site, t.RunIndex)))
        {
            Assert.That(pair.Select(t => t.Seed).Distinct().Count(), Is.EqualTo(1), $"{pair.Key}");
        }
        Assert.That(plan.Select(t => t.Seed).Distinct().Count(), Is.EqualTo(2 * 3), "seeds differ between sites and runs");
        Assert.That(plan.All(t => t.Seed <= long.MaxValue), Is.True);
    }

    [Test]
    public void Expand_RunIndexOutermost_ConfigurationOrderShuffledPerRun_AndReproducible()
    {
        var experiment = Sample(runs: 8);
        var plan = ExperimentMatrix.Expand(experiment, () => []);

        Assert.That(plan.Select(t => t.RunIndex), Is.Ordered, "whole runs first");
        Assert.That(ExperimentMatrix.Expand(experiment, () => []).Select(t => t.Key), Is.EqualTo(plan.Select(t => t.Key)), "same seed, same order");
        var firstPerBlock = plan.Where(t => t.Design == "table1").GroupBy(t => (t.RunIndex, t.Site, t.Condition.Link.Name))
            .Select(g => g.First().Configuration.Key).Distinct().Count();
        Assert.That(firstPerBlock, Is.GreaterThan(1), "HTTP must not always go first");
        // Paired trials stay together: each (run, design, condition, site) block is contiguous.
        var blocks = plan.Select(t => (t.RunIndex, t.Design, t.Condition, t.Site)).ToList();
        var seen = new HashSet<(int, string, LinkCondition, string)>();
        for (int i = 0; i < blocks.Count; i++)
        {
            if (i > 0 && blocks[i] == blocks[i - 1]) continue;
            Assert.That(seen.Add(blocks[i]), Is.True, $"block {blocks[i]} split at {i}");
        }
        var other = ExperimentMatrix.Expand(experiment with { Seed = 8 }, () => []);
        Assert.That(other.Select(t => t.Key), Is.Not.EqualTo(plan.Select(t => t.Key)), "another seed, another order");
    }

    [Test]
    public void Expand_SitesAll_AsksTheCorpus()
    {
        var experiment = Sample() with { Sites = null };

        var plan = ExperimentMatrix.Expand(experiment, () => ["x", "y", "z"]);

        Assert.That(plan.Select(t => t.Site).Distinct().Order(), Is.EqualTo(new[] { "x", "y", "z" }));
    }

    [Test]
    public void Overrides_RunsSitesAndRtt_ApplyToEveryBlock()
    {
        var experiment = new ExperimentOverrides { Runs = 1, Sites = ["only"], RttMs = 80 }.ApplyTo(Sample());

        var plan = ExperimentMatrix.Expand(experiment, () => []);

        Assert.That(plan, Has.Count.EqualTo((8 + 4) * 1 * 1));
        Assert.That(plan.All(t => t.Site == "only" && t.RunIndex == 0 && t.Condition.RttMs == 80), Is.True);
    }

    [Test]
    public void ToRecord_CarriesEveryParameter_AndTheKeyIsTheRecordsDefaultKey()
    {
        var trial = ExperimentMatrix.Expand(Sample(), () => []).First(t => t.Configuration.Feature == Features.Push && t.Condition.Link.Name == "dsl");

        var record = trial.ToRecord();

        Assert.That(record.TrialKey, Is.EqualTo(record.DefaultKey()));
        Assert.That((record.Design, record.Link, record.DownBps, record.UpBps, record.RttMs, record.Loss),
            Is.EqualTo(("table1", "dsl", 2_000_000L, 375_000L, 40.0, 0.01)));
        Assert.That((record.Protocol, record.DomainMode, record.Feature), Is.EqualTo(("spdy/2", "single", "push")));
        Assert.That(record.Seed, Is.EqualTo((long)trial.Seed));
        record.PltMs = 1;
        Assert.DoesNotThrow(record.Validate, "every enumerated value is in the results vocabulary");
    }

    [Test]
    public void LinkOptions_OfACondition_BuildTheEmulatorsSpec()
    {
        var trial = ExperimentMatrix.Expand(Sample(), () => []).First(t => t.Condition.Link.Name == "dsl");

        var spec = trial.Condition.ToLinkOptions(trial.Seed).ToSpec();

        Assert.That(spec.Down.RateBitsPerSecond, Is.EqualTo(2_000_000));
        Assert.That(spec.Up.RateBitsPerSecond, Is.EqualTo(375_000));
        Assert.That(spec.Down.DelayMicroseconds + spec.Up.DelayMicroseconds, Is.EqualTo(40_000));
        Assert.That(spec.Down.Loss.MeanLoss, Is.EqualTo(0.01).Within(1e-12));
        Assert.That(spec.Seed, Is.EqualTo(trial.Seed));
    }
}
