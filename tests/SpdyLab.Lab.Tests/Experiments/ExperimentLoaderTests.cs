using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Experiments;

public class ExperimentLoaderTests
{
    private const string Minimal = """
        experiment: small
        runs: 2
        sites: [a, b]
        designs:
          - design: custom
            links: [dsl]
            configurations:
              - {protocol: http/1.1}
              - {protocol: spdy/3, domain: single}
        """;

    private static ExperimentFileException ParseFails(string yaml) =>
        Assert.Throws<ExperimentFileException>(() => ExperimentLoader.Parse(yaml, "bad.yaml"))!;

    [Test]
    public void Parse_MinimalFile_ReadsEveryField()
    {
        var experiment = ExperimentLoader.Parse(Minimal, "small.yaml");

        Assert.That(experiment.Name, Is.EqualTo("small"));
        Assert.That(experiment.Runs, Is.EqualTo(2));
        Assert.That(experiment.Sites, Is.EqualTo(new[] { "a", "b" }));
        var block = experiment.Designs.Single();
        Assert.That(block.Links.Single().DownBps, Is.EqualTo(2_000_000));
        Assert.That(block.Links.Single().UpBps, Is.EqualTo(375_000));
        Assert.That(block.Losses, Is.EqualTo(new[] { 0.0 }));
        Assert.That(block.Configurations[1], Is.EqualTo(new Configuration { Protocol = "spdy/3", DomainMode = "single" }));
        Assert.That(experiment.SourceText, Is.EqualTo(Minimal));
    }

    [Test]
    public void Parse_UnknownKey_NamesLineKeyAndAcceptedKeys()
    {
        var e = ParseFails(Minimal.Replace("    links: [dsl]", "    links: [dsl]\n    rtts: [20ms]"));

        Assert.That(e.Line, Is.EqualTo(7));
        Assert.That(e.Key, Is.EqualTo("designs[0].rtts"));
        Assert.That(e.Message, Does.StartWith("bad.yaml:7:5: designs[0].rtts: unknown key 'rtts'; accepted: design, title, links, rtt, loss"));
    }

    [Test]
    public void Parse_LossWithoutPercent_NamesLineKeyValueAndAcceptedForm()
    {
        var e = ParseFails(Minimal.Replace("    links: [dsl]", "    links: [dsl]\n    loss: [0%, 0.01]"));

        Assert.That(e.Line, Is.EqualTo(7));
        Assert.That(e.Key, Is.EqualTo("designs[0].loss"));
        Assert.That(e.Message, Does.Contain("'0.01' has no unit; accepted: a percentage from 0% to 100%"));
    }

    [Test]
    public void Parse_UnknownProtocol_ListsTheProtocols()
    {
        var e = ParseFails(Minimal.Replace("protocol: spdy/3,", "protocol: spdy/4,"));

        Assert.That(e.Line, Is.EqualTo(9));
        Assert.That(e.Key, Is.EqualTo("designs[0].configurations[1].protocol"));
        Assert.That(e.Problem, Is.EqualTo("'spdy/4' is not known; accepted: http/1.1, spdy/2, spdy/3, spdy/3.1, h2"));
    }

    [Test]
    public void Parse_UnknownLink_ListsPresetsAndFileLinks()
    {
        var yaml = Minimal.Replace("runs: 2", "runs: 2\nlinks:\n  slow: {down: 1mbit, up: 100kbit}").Replace("links: [dsl]", "links: [dsl, dls]");
        var e = ParseFails(yaml);

        Assert.That(e.Key, Is.EqualTo("designs[0].links"));
        Assert.That(e.Problem, Does.StartWith("'dls' is not a link; accepted: dsl, cable, wpt-dsl"));
        Assert.That(e.Problem, Does.EndWith("defined in this file: slow"));
    }

    [Test]
    public void Parse_PushOverHttp_IsRejectedWithWhatHttpAccepts()
    {
        var e = ParseFails(Minimal.Replace("{protocol: http/1.1}", "{protocol: http/1.1, feature: push}"));

        Assert.That(e.Key, Is.EqualTo("designs[0].configurations[0].feature"));
        Assert.That(e.Problem, Does.Contain("accepted with http/1.1: none, prefetch"));
    }

    [Test]
    public void Parse_BadRate_InCustomLink_NamesTheLinkKey()
    {
        var e = ParseFails(Minimal.Replace("runs: 2", "runs: 2\nlinks:\n  slow: {down: 2mbps, up: 1mbit}").Replace("[dsl]", "[slow]"));

        Assert.That(e.Line, Is.EqualTo(4));
        Assert.That(e.Key, Is.EqualTo("links.slow.down"));
        Assert.That(e.Problem, Does.Contain("'2mbps' is ambiguous"));
    }

    [Test]
    public void Parse_NotYaml_GivesTheLine()
    {
        var e = ParseFails("experiment: x\ndesigns: [\n  - a: b\n");

        Assert.That(e.Key, Is.EqualTo("(file)"));
        Assert.That(e.Line, Is.GreaterThanOrEqualTo(2));
        Assert.That(e.Message, Does.Contain("not valid YAML"));
    }

    [Test]
    public void Parse_MissingDesigns_SaysWhatIsNeeded()
    {
        var e = ParseFails("experiment: x\nruns: 1\n");

        Assert.That(e.Key, Is.EqualTo("designs"));
        Assert.That(e.Problem, Does.StartWith("missing"));
    }

    [Test]
    public void Parse_RunsZero_GivesTheRange()
    {
        var e = ParseFails(Minimal.Replace("runs: 2", "runs: 0"));

        Assert.That(e.Line, Is.EqualTo(2));
        Assert.That(e.Problem, Does.Contain("accepted: a whole number from 1 to 1000"));
    }

    [Test]
    public void Parse_NamedConfigurationReference_Resolves_AndUnknownReferenceListsNames()
    {
        var yaml = """
            experiment: refs
            configurations:
              http: {protocol: http/1.1, label: "Plain"}
              spdy: {protocol: spdy/2, transport: ssl}
            designs:
              - links: cable
                loss: 1%
                configurations: [http, spdy]
            """;
        var experiment = ExperimentLoader.Parse(yaml, "refs.yaml");
        var block = experiment.Designs.Single();
        Assert.That(block.Design, Is.EqualTo(Designs.Custom));
        Assert.That(block.Configurations[0].DisplayName, Is.EqualTo("Plain"));
        Assert.That(block.Configurations[1].Transport, Is.EqualTo(Transports.Tls));
        Assert.That(block.Losses, Is.EqualTo(new[] { 0.01 }));

        var e = ParseFails(yaml.Replace("[http, spdy]", "[http, spyd]"));
        Assert.That(e.Problem, Does.StartWith("'spyd' is not a configuration; accepted: http, spdy"));
    }

    [Test]
    public void LoadFile_BundledWhitepaper_IsThePapersDesign()
    {
        var experiment = ExperimentLoader.LoadFile(Path.Combine(RepositoryRoot.Path, "experiments", "whitepaper.yaml"));

        Assert.That(experiment.Runs, Is.EqualTo(10));
        Assert.That(experiment.Sites, Has.Count.EqualTo(25));
        Assert.That(experiment.RttMs, Is.EqualTo(40));
        // The three tables, then the Chromium rows (HTTP/1.1 and HTTP/2 over TLS, both clients; docs/browser.md).
        Assert.That(experiment.Designs.Select(d => d.Design), Is.EqualTo(new[] { "table1", "table2", "table3", "custom" }));
        Assert.That(experiment.Designs[3].Configurations.Count(c => c.Client == Clients.Chromium), Is.EqualTo(2));
        var table1 = experiment.Designs[0];
        Assert.That(table1.Links.Select(l => l.Name), Is.EqualTo(new[] { "dsl", "cable" }));
        Assert.That(table1.Losses, Is.EqualTo(new[] { 0.01 }));
        Assert.That(table1.Configurations.Count(c => c.Transport == Transports.Tcp), Is.EqualTo(5));
        Assert.That(table1.Configurations.Count(c => c.Transport == Transports.Tls), Is.EqualTo(3));
        Assert.That(experiment.Designs[1].Links.Single().Name, Is.EqualTo("cable"));
        Assert.That(experiment.Designs[1].Losses, Has.Count.GreaterThan(3));
        Assert.That(experiment.Designs[2].RttsMs, Does.Contain(200.0));
    }

    [Test]
    public void LoadFile_BundledQuickDesign_HasTheSameRowsOnFewerTrials()
    {
        var full = ExperimentLoader.LoadFile(Path.Combine(RepositoryRoot.Path, "experiments", "whitepaper.yaml"));
        var quick = ExperimentLoader.LoadFile(Path.Combine(RepositoryRoot.Path, "experiments", "whitepaper-quick.yaml"));

        Assert.That(quick.Designs.Select(d => d.Configurations), Is.EqualTo(full.Designs.Select(d => d.Configurations)));
        Assert.That(ExperimentMatrix.Expand(quick, () => []).Count, Is.LessThan(400));
    }
}
