using System.CommandLine;
using SpdyLab.Lab.Commands;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Validation;
using SpdyLab.Results;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.Commands;

/// <summary><c>spdylab validate</c>: options to a plan, the plan to an experiment, and the errors for bad input.</summary>
[NonParallelizable]
public class ValidateCommandTests
{
    private string directory = "";
    private SiteCatalog catalog = null!;

    [SetUp]
    public void CreateSites()
    {
        directory = Directory.CreateTempSubdirectory("spdylab-validate-cmd-").FullName;
        catalog = new SiteCatalog(Path.Combine(directory, "corpus"), Path.Combine(directory, "home", "sites"));
        Runner.TestSites.Write(catalog.CorpusFolder, "beta", images: 1);
        Runner.TestSites.Write(catalog.CorpusFolder, "alpha", images: 1);
        Runner.TestSites.Write(catalog.UserFolder, "realhar", images: 1);
    }

    [TearDown]
    public void Delete() => Directory.Delete(directory, recursive: true);

    private ValidationPlan Plan(string? sites = null, string? links = null, int? runs = null, string? rtt = null, string? heldOutFrom = null) =>
        ValidateCommand.BuildPlan(catalog, sites, links, runs, rtt, seed: null, heldOutFrom);

    [Test]
    public void BuildPlan_NoOptions_EveryShippedSiteOnDslAndCableAtOnePercentAndCableWithoutLoss()
    {
        var plan = Plan();

        Assert.That(plan.Sites, Is.EqualTo(new[] { "alpha", "beta" }), "the shipped corpus, not the imported snapshots");
        Assert.That(plan.Links.Select(l => l.Name), Is.EqualTo(new[] { "dsl@1%", "cable@1%", "cable@0%" }));
        Assert.That(plan.Runs, Is.EqualTo(5));
        Assert.That(plan.RttMs, Is.EqualTo(40));
        Assert.That(plan.Calibration, Is.Null);
    }

    [Test]
    public void BuildPlan_ImportedAndNames_ImportedSnapshotsByNameInTheOrderGiven()
    {
        Assert.That(Plan("imported").Sites, Is.EqualTo(new[] { "realhar" }));
        Assert.That(Plan("beta,realhar,beta").Sites, Is.EqualTo(new[] { "beta", "realhar" }));
        Assert.That(Plan("all").Sites, Is.EqualTo(new[] { "alpha", "beta", "realhar" }));
    }

    [Test]
    public void BuildPlan_UnknownSite_UsageErrorNamingItAndTheKnownOnes()
    {
        var e = Assert.Throws<UsageException>(() => Plan("alpha,gogle"))!;
        Assert.That(e.Message, Does.StartWith("--sites: no snapshot named 'gogle'").And.Contain("known: ").And.Contain("realhar"));
    }

    [Test]
    public void BuildPlan_ImportedWithNothingImported_UsageErrorSayingHowToImport()
    {
        Directory.Delete(catalog.UserFolder, recursive: true);
        var e = Assert.Throws<UsageException>(() => Plan("imported"))!;
        Assert.That(e.Message, Does.Contain("no imported snapshot").And.Contain("sites import"));
    }

    [TestCase("moon@1%", "'moon' is not a link preset; accepted: dsl, cable")]
    [TestCase("dsl@lots", "--links")]
    [TestCase("dsl@150%", "more than 100%")]
    [TestCase(",", "no link given")]
    public void BuildPlan_BadLink_UsageError(string links, string expected)
    {
        var e = Assert.Throws<UsageException>(() => Plan(links: links))!;
        Assert.That(e.Message, Does.Contain(expected));
    }

    [Test]
    public void BuildPlan_RunsOutOfRange_UsageError()
    {
        Assert.That(Assert.Throws<UsageException>(() => Plan(runs: 0))!.Message, Does.StartWith("--runs: 0 is out of range"));
    }

    [Test]
    public void BuildPlan_HeldOutFrom_LinkAndProtocolSplitAtTheFirstSlash()
    {
        var plan = Plan(heldOutFrom: "dsl@1%/http/1.1");
        Assert.That(plan.Calibration!.Value.Link.Name, Is.EqualTo("dsl@1%"));
        Assert.That(plan.Calibration.Value.Protocol, Is.EqualTo(Protocols.Http11));

        var meta = plan.Meta(_ => 7);
        Assert.That(meta.Calibration, Is.EqualTo(new Reports.Analysis.ValidationCellRef("dsl", 0.01, Protocols.Http11)));
        Assert.That(meta.SnapshotResources, Is.EqualTo(new Dictionary<string, int> { ["alpha"] = 7, ["beta"] = 7 }));
    }

    [TestCase("cable@1%", "is not LINK@LOSS/PROTOCOL")]
    [TestCase("cable@1%/spdy/3", "'spdy/3' is not a protocol both clients load")]
    [TestCase("fios@1%/h2", "fios@1% is not one of the links validated")]
    public void BuildPlan_BadHeldOutFrom_UsageError(string heldOutFrom, string expected)
    {
        var e = Assert.Throws<UsageException>(() => Plan(heldOutFrom: heldOutFrom))!;
        Assert.That(e.Message, Does.StartWith("--held-out-from").And.Contain(expected));
    }

    [Test]
    public void ToExperiment_OneBlockPerLink_BothClientsBothProtocolsOverTls_PairedBySeed()
    {
        var plan = Plan(links: "dsl@1%,cable@0%", runs: 2);
        var experiment = plan.ToExperiment("spdylab validate");

        Assert.That(experiment.Designs.Select(d => (d.Links.Single().Name, d.Losses.Single())), Is.EqualTo(new[] { ("dsl", 0.01), ("cable", 0.0) }));
        var trials = ExperimentMatrix.Expand(experiment, () => throw new AssertionException("the plan names its sites"));
        Assert.That(trials, Has.Count.EqualTo(2 * 2 * 2 * 4), "sites x links x runs x (2 clients x 2 protocols)");
        Assert.That(trials.Select(t => (t.Client, t.Configuration.Protocol, t.Configuration.Transport)).Distinct(), Is.EquivalentTo(new[]
        {
            (Clients.Builtin, Protocols.Http11, Transports.Tls), (Clients.Builtin, Protocols.H2, Transports.Tls),
            (Clients.Chromium, Protocols.Http11, Transports.Tls), (Clients.Chromium, Protocols.H2, Transports.Tls),
        }));
        // The four loads of one site, link and run meet the same loss pattern: the differences are paired by run.
        Assert.That(trials.GroupBy(t => (t.Site, t.RunIndex, t.Condition)).Select(g => g.Select(t => t.Seed).Distinct().Count()), Is.All.EqualTo(1));
    }

    [Test]
    public async Task Validate_BadLinkOnTheCommandLine_ExitsWithUsageErrorBeforeAnyTrial()
    {
        var root = new RootCommand();
        root.Subcommands.Add(ValidateCommand.Create());
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int code;
        try
        {
            code = await root.Parse(["validate", "--links", "dsl@1%,moon"]).InvokeAsync();
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.That(code, Is.EqualTo(CommandActions.UsageError));
        Assert.That(error.ToString(), Does.StartWith("spdylab validate: --links: 'moon' is not a link preset"));
    }
}
