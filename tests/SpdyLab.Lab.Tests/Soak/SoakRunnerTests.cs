using SpdyLab.Lab.Soak;

namespace SpdyLab.Lab.Tests.Soak;

/// <summary>The soak's machinery on a few seconds of load (the figures come from `spdylab soak`, see docs/hardening.md).</summary>
public class SoakRunnerTests
{
    [Test, CancelAfter(120_000)]
    public async Task RunAsync_ShortLoad_ServesEveryScenarioSamplesTheServerAndStopsIt(CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("spdylab-soak-test-");
        try
        {
            var lines = new List<string>();
            var runner = new SoakRunner(new SoakOptions
            {
                Duration = TimeSpan.FromSeconds(6),
                WarmUp = TimeSpan.FromSeconds(3),
                SampleInterval = TimeSpan.FromSeconds(3),
                Workers = 4,
                Seed = 3,
                ServerFile = "dotnet",
                ServerArgumentsPrefix = [typeof(SoakRunner).Assembly.Location],
                WorkDirectory = work.FullName,
                Progress = line =>
                {
                    lock (lines)
                    {
                        lines.Add(line);
                    }
                },
            });

            var report = await runner.RunAsync(cancellationToken);
            TestContext.Out.WriteLine(string.Join(Environment.NewLine, lines));
            TestContext.Out.WriteLine(report.ToMarkdown());

            Assert.That(report.UnexpectedErrorCount, Is.Zero, string.Join(" | ", report.UnexpectedErrors));
            Assert.That(report.Counters.GetValueOrDefault("requests ok"), Is.GreaterThan(20));
            Assert.That(report.Counters.Keys, Has.Some.StartsWith("scenario "));
            Assert.That(report.ServerExitedCleanly, Is.True, "the server process stopped on 'quit' with exit code 0");
            Assert.That(report.Start.FileDescriptors, Is.GreaterThan(0), "fds read from /proc/PID/fd");
            Assert.That(report.Start.HeapAfterGcBytes, Is.GreaterThan(0));
            Assert.That(report.End.SpdySessions, Is.GreaterThan(0), "the server's SPDY session count");
            Assert.That(report.Samples, Is.Not.Empty);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
