using SpdyLab.Emulator.Link;

namespace SpdyLab.Emulator.Tests.Link;

public class LinkValuesTests
{
    [TestCase("2mbit", 2_000_000)]
    [TestCase("375kbit", 375_000)]
    [TestCase("1.5mbit", 1_500_000)]
    [TestCase("1gbit", 1_000_000_000)]
    [TestCase("9600bit", 9600)]
    [TestCase("4MBit", 4_000_000)]
    public void ParseRate_ValidValue_GivesBitsPerSecond(string text, long expected) =>
        Assert.That(LinkValues.ParseRate("--down", text), Is.EqualTo(expected));

    [TestCase("2mbps", "ambiguous")]
    [TestCase("2", "has no unit")]
    [TestCase("fast", "is not a rate")]
    [TestCase("2mb", "is not a rate; accepted: a number with a unit: bit, kbit")]
    public void ParseRate_BadValue_NamesOptionAndAcceptedForms(string text, string expected)
    {
        var error = Assert.Throws<LinkOptionException>(() => LinkValues.ParseRate("--down", text));
        Assert.That(error!.Message, Does.StartWith($"--down: ").And.Contain(expected));
        Assert.That(error.Option, Is.EqualTo("--down"));
    }

    [TestCase("100ms", 100_000)]
    [TestCase("0.5ms", 500)]
    [TestCase("2s", 2_000_000)]
    [TestCase("250us", 250)]
    public void ParseDuration_ValidValue_GivesMicroseconds(string text, long expected) =>
        Assert.That(LinkValues.ParseDuration("--rtt", text), Is.EqualTo(expected));

    [TestCase("100")]
    [TestCase("100min")]
    [TestCase("-5ms")]
    public void ParseDuration_BadValue_Throws(string text) =>
        Assert.That(() => LinkValues.ParseDuration("--rtt", text), Throws.TypeOf<LinkOptionException>().With.Message.StartWith("--rtt: '"));

    [Test]
    public void ParsePercent_Values_AreFractions()
    {
        Assert.That(LinkValues.ParsePercent("--loss", "1%"), Is.EqualTo(0.01).Within(1e-12));
        Assert.That(LinkValues.ParsePercent("--loss", "0.5%"), Is.EqualTo(0.005).Within(1e-12));
        Assert.That(() => LinkValues.ParsePercent("--loss", "0.01"), Throws.TypeOf<LinkOptionException>().With.Message.Contain("has no unit; accepted: a percentage"));
        Assert.That(() => LinkValues.ParsePercent("--loss", "150%"), Throws.TypeOf<LinkOptionException>().With.Message.Contain("more than 100%"));
    }

    [TestCase("100pkt", 100, null)]
    [TestCase("64kb", null, 64_000L)]
    [TestCase("64kib", null, 65_536L)]
    [TestCase("100pkt,64kb", 100, 64_000L)]
    [TestCase("unlimited", null, null)]
    public void ParseQueue_ValidValue_GivesLimits(string text, int? packets, long? bytes) =>
        Assert.That(LinkValues.ParseQueue("--queue", text), Is.EqualTo(new QueueLimit(packets, bytes)));

    [TestCase("100", "has no unit")]
    [TestCase("10pkt,20pkt", "same unit twice")]
    [TestCase("0pkt", "too small")]
    [TestCase("10frames", "is not a queue size")]
    public void ParseQueue_BadValue_SaysWhy(string text, string expected) =>
        Assert.That(() => LinkValues.ParseQueue("--queue", text), Throws.TypeOf<LinkOptionException>().With.Message.Contain(expected));

    [Test]
    public void ParseLossModel_GeWithParameters_GivesThem()
    {
        var spec = (GilbertElliottLossSpec)LinkValues.ParseLossModel("--loss-model", "ge:p=1%,r=25%,bad=50%", null);
        Assert.That((spec.P, spec.R, spec.LossInBad, spec.LossInGood), Is.EqualTo((0.01, 0.25, 0.5, 0.0)));
    }

    [Test]
    public void ParseLossModel_GeBurst_DerivesChainWithRequestedMean()
    {
        var spec = (GilbertElliottLossSpec)LinkValues.ParseLossModel("--loss-model", "ge:burst=4", 0.01);
        Assert.That(spec.MeanLoss, Is.EqualTo(0.01).Within(1e-12));
        Assert.That(spec.R, Is.EqualTo(0.25));
    }

    [TestCase("gilbert", null, "is not a loss model")]
    [TestCase("ge:p=1%", null, "needs both p and r")]
    [TestCase("ge:p=1%,r=20%", 0.01, "drop --loss")]
    [TestCase("ge:q=1%", null, "unknown key 'q'")]
    public void ParseLossModel_BadValue_SaysWhy(string text, double? loss, string expected) =>
        Assert.That(() => LinkValues.ParseLossModel("--loss-model", text, loss),
            Throws.TypeOf<LinkOptionException>().With.Message.Contain(expected));

    [Test]
    public void LinkOptions_Typical_SplitsRttAndAppliesLossToBothDirections()
    {
        var spec = new LinkOptions { Down = "2mbit", Up = "375kbit", Rtt = "100ms", Loss = "1%", Seed = "9" }.ToSpec();
        Assert.That(spec.Down.RateBitsPerSecond, Is.EqualTo(2_000_000));
        Assert.That(spec.Up.RateBitsPerSecond, Is.EqualTo(375_000));
        Assert.That((spec.Down.DelayMicroseconds, spec.Up.DelayMicroseconds), Is.EqualTo((50_000L, 50_000L)));
        Assert.That(spec.Down.Loss, Is.EqualTo(new BernoulliLossSpec(0.01)));
        Assert.That(spec.Up.Loss, Is.EqualTo(new BernoulliLossSpec(0.01)));
        Assert.That(spec.Seed, Is.EqualTo(9UL));
        Assert.That(spec.Down.EffectiveQueue, Is.EqualTo(QueueLimit.DefaultFor(2_000_000)));
    }

    [Test]
    public void LinkOptions_LossPerDirection_AppliesOnlyThere()
    {
        var spec = new LinkOptions { LossDown = "2%" }.ToSpec();
        Assert.That(spec.Down.Loss.MeanLoss, Is.EqualTo(0.02));
        Assert.That(spec.Up.Loss.MeanLoss, Is.EqualTo(0));
    }

    [Test]
    public void LinkOptions_RateAndTraceTogether_IsAnError() =>
        Assert.That(() => new LinkOptions { Down = "2mbit", DownTrace = "x" }.ToSpec(),
            Throws.TypeOf<LinkOptionException>().With.Property("Option").EqualTo("--down-trace"));

    [Test]
    public void LinkOptions_MissingTrace_SaysSo() =>
        Assert.That(() => new LinkOptions { UpTrace = "/nonexistent.trace" }.ToSpec(),
            Throws.TypeOf<LinkOptionException>().With.Message.Contain("does not exist"));
}
