using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Runner;
using SpdyLab.Results;

namespace SpdyLab.Lab.Tests.Browser;

public class ChromiumRowsTests
{
    private const string Yaml = """
        experiment: mixed
        runs: 2
        sites: [google]
        configurations:
          http: {protocol: http/1.1, transport: tls}
          browser: {protocol: h2, transport: tls, client: chromium}
        designs:
          - design: table1
            links: [cable]
            configurations: [http]
          - design: custom
            links: [cable]
            configurations: [http, browser]
          - design: custom
            links: [dsl]
            configurations: [browser]
        """;

    [Test]
    public void Expand_ConfigurationWithClient_PlansThatClientAndKeepsTheRestBuiltin()
    {
        var trials = ExperimentMatrix.Expand(ExperimentLoader.Parse(Yaml, "mixed.yaml"), () => ["google"]);

        Assert.That(trials.Count(t => t.Client == Clients.Chromium), Is.EqualTo(4));
        Assert.That(trials.Count(t => t.Client == Clients.Builtin), Is.EqualTo(4));
        Assert.That(trials.Select(t => t.Key).Distinct().Count(), Is.EqualTo(trials.Count));
        Assert.That(trials.First(t => t.Client == Clients.Chromium).Configuration.DisplayName, Does.EndWith("[chromium]"));
    }

    [Test]
    public void Parse_UnknownClient_NamesTheAcceptedOnes()
    {
        var e = Assert.Throws<ExperimentFileException>(() => ExperimentLoader.Parse(Yaml.Replace("client: chromium", "client: firefox"), "mixed.yaml"));
        Assert.That(e!.Message, Does.Contain("configurations.browser.client").And.Contain("builtin, chromium"));
    }

    [Test]
    public void DropIfUnavailable_NoChromium_LeavesOutItsRowsAndEmptiedBlocks_AndSaysWhy()
    {
        var log = new StringWriter();
        var experiment = ChromiumRows.DropIfUnavailable(ExperimentLoader.Parse(Yaml, "mixed.yaml"), log, () => "Chromium not found at /usr/bin/chromium");

        Assert.That(experiment.Designs, Has.Count.EqualTo(2));
        Assert.That(experiment.Designs.SelectMany(d => d.Configurations).Any(c => c.Client == Clients.Chromium), Is.False);
        Assert.That(log.ToString(), Does.Contain("Chromium rows are left out").And.Contain("not found"));
    }

    [Test]
    public void DropIfUnavailable_ChromiumPresent_KeepsEverything()
    {
        var original = ExperimentLoader.Parse(Yaml, "mixed.yaml");
        Assert.That(ChromiumRows.DropIfUnavailable(original, TextWriter.Null, () => null), Is.SameAs(original));
    }

    [Test]
    public void CheckReady_SpdyWithChromium_SaysChromiumSpeaksHttp11AndH2()
    {
        var trials = ExperimentMatrix.Expand(ExperimentLoader.Parse(Yaml.Replace("protocol: h2, transport: tls, client", "protocol: spdy/3, transport: tls, client"), "mixed.yaml"), () => ["google"]);
        var problem = WorldTrialExecutor.WhyChromiumTrialsCannotRun(trials);
        if (!ChromiumLauncher.IsAvailable()) Assert.That(problem, Does.Contain("install-deps.sh"));
        else Assert.That(problem, Does.Contain("http/1.1 and h2"));
    }
}
