using SpdyLab.Lab.Bench;

namespace SpdyLab.Lab.Tests.Bench;

/// <summary>`bench server --out` writes its figures through the same marked sections as codec, emulator and lab.</summary>
public class BenchSectionsTests
{
    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_ServerSectionRewritten_KeepsHandWrittenNotesAndOtherSections(CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"spdylab-bench-{Guid.NewGuid():N}.md");
        try
        {
            await BenchSections.WriteAsync(file, BenchReport.BeginMarker, BenchReport.EndMarker, "## Server throughput\n\nfigures 1\n", cancellationToken);
            await File.AppendAllTextAsync(file, "\n### Notes by hand\n", cancellationToken);
            await BenchSections.WriteAsync(file, CodecBench.BeginMarker, CodecBench.EndMarker, "## Codec\n\ncodec figures\n", cancellationToken);

            await BenchSections.WriteAsync(file, BenchReport.BeginMarker, BenchReport.EndMarker, "## Server throughput\n\nfigures 2\n", cancellationToken);

            var text = await File.ReadAllTextAsync(file, cancellationToken);
            Assert.That(text, Does.StartWith(BenchSections.NewFile));
            Assert.That(text, Does.Not.Contain("figures 1"));
            Assert.That(text, Does.Contain(BenchReport.BeginMarker + "\n## Server throughput\n\nfigures 2\n" + BenchReport.EndMarker));
            Assert.That(text.IndexOf("### Notes by hand", StringComparison.Ordinal), Is.GreaterThan(text.IndexOf(BenchReport.EndMarker, StringComparison.Ordinal)));
            Assert.That(text, Does.Contain("codec figures"));
            Assert.That(text.Split(BenchReport.BeginMarker).Length, Is.EqualTo(2), "one server section only");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
