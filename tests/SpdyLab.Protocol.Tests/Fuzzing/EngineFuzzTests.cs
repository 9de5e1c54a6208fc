namespace SpdyLab.Protocol.Tests.Fuzzing;

/// <summary>
/// The structure-aware fuzzer (see <see cref="FuzzRunner"/> for the invariants). CI runs a bounded campaign per
/// version and role; <c>scripts/fuzz.sh --seconds N [--seed S]</c> runs the long one and
/// <c>scripts/fuzz.sh --replay 3.1:server:SEED</c> replays a case. Environment (read by the tests):
/// SPDYLAB_FUZZ_SECONDS (budget), SPDYLAB_FUZZ_SEED (first seed), SPDYLAB_FUZZ_REPLAY (one case).
/// </summary>
public class EngineFuzzTests
{
    /// <summary>CI budget per (version, role): 6 x 12 s.</summary>
    private const double CiSecondsPerTarget = 12;

    /// <summary>Fixed in CI so a red run is reproducible; the long run picks a fresh one and prints it.</summary>
    private const int CiSeed = 20261122;

    private static IEnumerable<TestCaseData> Targets() =>
        FuzzCampaign.AllTargets.Select(t => new TestCaseData(t.Item1, t.Item2).SetArgDisplayNames(FuzzCase.VersionName(t.Item1), t.Item2.ToString()));

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    [TestCaseSource(nameof(Targets))]
    [CancelAfter(60000)]
    public async Task Fuzz_BoundedCampaign_NoInvariantBroken(SpdyVersion version, SpdyRole role)
    {
        var seed = Env("SPDYLAB_FUZZ_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : CiSeed;
        var summary = await FuzzCampaign.RunAsync([(version, role)], seed, TimeSpan.FromSeconds(CiSecondsPerTarget), maxCases: 5000);
        TestContext.Out.WriteLine($"seed {seed}: {summary}");
        Assert.That(summary.Executions, Is.GreaterThan(20), "the campaign ran too few cases to mean anything");
        Assert.That(summary.Failures, Is.Empty, summary.ToString());
        Assert.That(summary.Unobserved, Is.Empty, summary.ToString());
        Assert.That(summary.HeapEnd - summary.HeapStart, Is.LessThan(FuzzCampaign.MaxHeapGrowth), "heap growth over the run");
    }

    [Test, Explicit("long run: scripts/fuzz.sh --seconds N [--seed S]")]
    public async Task Fuzz_LongRun()
    {
        var seconds = Env("SPDYLAB_FUZZ_SECONDS") is { } s ? double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 300;
        var seed = Env("SPDYLAB_FUZZ_SEED") is { } seedText ? int.Parse(seedText, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        var targets = FuzzCampaign.AllTargets.Where(t => Env("SPDYLAB_FUZZ_VERSION") is not { } v || FuzzCase.ParseVersion(v) == t.Item1)
            .Where(t => Env("SPDYLAB_FUZZ_ROLE") is not { } r || FuzzCase.ParseRole(r) == t.Item2).ToList();
        TestContext.Progress.WriteLine($"fuzz: seed {seed}, {seconds} s, {targets.Count} targets");
        var summary = await FuzzCampaign.RunAsync(targets, seed, TimeSpan.FromSeconds(seconds), progress: TestContext.Progress.WriteLine);
        TestContext.Progress.WriteLine($"fuzz: seed {seed}: {summary}");
        Assert.That(summary.Failures, Is.Empty, summary.ToString());
        Assert.That(summary.Unobserved, Is.Empty, summary.ToString());
        Assert.That(summary.HeapEnd - summary.HeapStart, Is.LessThan(FuzzCampaign.MaxHeapGrowth), "heap growth over the run");
    }

    [Test, Explicit("replay: scripts/fuzz.sh --replay VERSION:ROLE:SEED")]
    public async Task Fuzz_Replay()
    {
        var key = Env("SPDYLAB_FUZZ_REPLAY") ?? throw new AssertionException("set SPDYLAB_FUZZ_REPLAY=VERSION:ROLE:SEED (e.g. 3.1:server:12345)");
        var fuzzCase = FuzzCase.Parse(key);
        using var fuzzer = new FrameFuzzer(fuzzCase);
        var input = fuzzer.Build();
        TestContext.Progress.WriteLine($"case {fuzzCase}; expected: {input.Expected?.ToString() ?? "(invariants only)"}");
        foreach (var (bytes, what) in input.Frames)
        {
            TestContext.Progress.WriteLine($"  -> {what} ({bytes.Length} B)");
        }

        var result = await FuzzRunner.RunAsync(fuzzCase);
        TestContext.Progress.WriteLine(result.ToString());
        Assert.That(result.Failures, Is.Empty, result.ToString());
    }

    [Test]
    public void FuzzCase_SameSeed_SameInput()
    {
        foreach (var key in new[] { "2:server:7", "3:client:8", "3.1:server:9", "3.1:client:10" })
        {
            using var first = new FrameFuzzer(FuzzCase.Parse(key));
            using var second = new FrameFuzzer(FuzzCase.Parse(key));
            var a = first.Build();
            var b = second.Build();
            Assert.That(b.Concatenated(), Is.EqualTo(a.Concatenated()), key);
            Assert.That(b.Expected, Is.EqualTo(a.Expected), key);
        }
    }

    [Test]
    public void FuzzCase_Parse_RoundTripsAndRejectsGarbage()
    {
        var fuzzCase = FuzzCase.Parse("spdy/3.1:Client:-5");
        Assert.That(fuzzCase, Is.EqualTo(new FuzzCase(SpdyVersion.Spdy31, SpdyRole.Client, -5)));
        Assert.That(FuzzCase.Parse(fuzzCase.ReplayKey), Is.EqualTo(fuzzCase));
        Assert.Throws<FormatException>(() => FuzzCase.Parse("4:server:1"));
        Assert.Throws<FormatException>(() => FuzzCase.Parse("3:proxy:1"));
        Assert.Throws<FormatException>(() => FuzzCase.Parse("3:server"));
    }
}
