using SpdyLab.Lab.Bench;

namespace SpdyLab.Lab.Tests.Bench;

public class EmulatorBenchReportTests
{
    private const string Server = "# Benchmarks\n\n## Server throughput\n\n| a | b |\n\n<!-- hand-written below -->\n### Notes\n";

    private static string Merge(string existing, string markdown) =>
        BenchSections.Merge(existing, EmulatorBenchReport.BeginMarker, EmulatorBenchReport.EndMarker, markdown);

    [Test]
    public void Merge_NoSectionYet_AppendsItAtTheEndAndKeepsEverythingElse()
    {
        var merged = Merge(Server, "## Emulator capacity and accuracy\n\nfigures 1\n");

        Assert.That(merged, Does.StartWith(Server.TrimEnd()));
        Assert.That(merged.IndexOf("### Notes", StringComparison.Ordinal), Is.LessThan(merged.IndexOf(EmulatorBenchReport.BeginMarker, StringComparison.Ordinal)));
        Assert.That(merged, Does.Contain("figures 1\n" + EmulatorBenchReport.EndMarker));
    }

    [Test]
    public void Merge_SectionThere_ReplacesOnlyItsOwnBlock()
    {
        var first = Merge(Server, "## Emulator capacity and accuracy\n\nfigures 1\n") + "\n## Later section by someone else\n";

        var second = Merge(first, "## Emulator capacity and accuracy\n\nfigures 2\n");

        Assert.That(second, Does.Not.Contain("figures 1"));
        Assert.That(second, Does.Contain("figures 2"));
        Assert.That(second, Does.StartWith(Server.TrimEnd()));
        Assert.That(second, Does.EndWith("## Later section by someone else\n"));
        Assert.That(second.Split(EmulatorBenchReport.BeginMarker).Length, Is.EqualTo(2), "one block only");
    }
}
