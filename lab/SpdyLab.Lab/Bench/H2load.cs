using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SpdyLab.Lab.Runner;

namespace SpdyLab.Lab.Bench;

/// <summary>h2load (nghttp2-client) as an independent HTTP/2 load generator for one cell.</summary>
internal static partial class H2load
{
    public static async Task<BenchResult> RunAsync(BenchCell cell, Uri url, double seconds, CancellationToken cancellationToken)
    {
        var log = Path.GetTempFileName();
        try
        {
            var start = new ProcessStartInfo("h2load")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // -c connections, -m streams per connection, -D measured seconds; http:// means h2c with prior knowledge.
            foreach (var argument in new[]
            {
                "-c", cell.Load.Connections.ToString(CultureInfo.InvariantCulture),
                "-m", cell.Load.Streams.ToString(CultureInfo.InvariantCulture),
                "-t", "1",
                "-D", Math.Max(1, (int)Math.Round(seconds)).ToString(CultureInfo.InvariantCulture),
                "--log-file", log,
                url.ToString(),
            })
            {
                start.ArgumentList.Add(argument);
            }

            var selfBefore = SelfCpu();
            var cpuBefore = selfBefore + ProcessCpu.ChildrenSeconds();
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("h2load did not start");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return ServerBench.Skip(cell, $"h2load unavailable ({e.Message}); install nghttp2-client");
            }
            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
                var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bound.CancelAfter(TimeSpan.FromSeconds(seconds + 30));
                try
                {
                    await process.WaitForExitAsync(bound.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None);
                    cancellationToken.ThrowIfCancellationRequested();
                    return new BenchResult(cell, 0, 1, 0, 0, double.NaN, double.NaN, 0, "h2load did not finish in time");
                }
                var self = SelfCpu();
                var cpu = self + ProcessCpu.ChildrenSeconds() - cpuBefore;
                var output = await stdout;
                var errors = await stderr;
                // The server is this process (h2load's own CPU is the reaped child's).
                return Parse(cell, output, errors, process.ExitCode, await File.ReadAllLinesAsync(log, cancellationToken), cpu)
                    with { ServerCpuSeconds = self - selfBefore };
            }
        }
        finally
        {
            File.Delete(log);
        }
    }

    /// <summary>
    /// Figures from h2load's summary ("finished in 5.00s, 1234.5 req/s", "requests: ... N succeeded, N failed, N errored")
    /// and its per-request log (start µs, status, µs to the end of the response). h2load does not check
    /// bodies: the data byte count must be at least succeeded x size.
    /// </summary>
    internal static BenchResult Parse(BenchCell cell, string output, string errors, int exitCode, string[] logLines, double cpuSeconds)
    {
        var finished = FinishedLine().Match(output);
        var requests = RequestsLine().Match(output);
        if (!finished.Success || !requests.Success)
        {
            return new BenchResult(cell, 0, 1, 0, 0, double.NaN, double.NaN, cpuSeconds,
                $"h2load exit {exitCode}, no summary: {(errors + output).Trim().ReplaceLineEndings(" ")}");
        }
        var seconds = double.Parse(finished.Groups["seconds"].Value, CultureInfo.InvariantCulture);
        var succeeded = long.Parse(requests.Groups["succeeded"].Value, CultureInfo.InvariantCulture);
        var failed = long.Parse(requests.Groups["failed"].Value, CultureInfo.InvariantCulture)
            + long.Parse(requests.Groups["errored"].Value, CultureInfo.InvariantCulture);
        var data = DataBytes().Match(output) is { Success: true } d ? long.Parse(d.Groups["bytes"].Value, CultureInfo.InvariantCulture) : 0;
        var twoHundreds = Status2xx().Match(output) is { Success: true } s ? long.Parse(s.Groups["n"].Value, CultureInfo.InvariantCulture) : 0;
        var bad = Math.Max(0, succeeded - twoHundreds) + (data < succeeded * cell.Size ? 1 : 0);

        var ticks = logLines
            .Select(line => line.Split('\t'))
            .Where(f => f.Length >= 3 && f[1] == "200" && long.TryParse(f[2], out _))
            .Select(f => long.Parse(f[2], CultureInfo.InvariantCulture) * Stopwatch.Frequency / 1_000_000)
            .Order()
            .ToArray();
        return new BenchResult(cell, succeeded, failed, bad, seconds,
            ServerBench.Percentile(ticks, 0.50), ServerBench.Percentile(ticks, 0.99), cpuSeconds,
            data < succeeded * cell.Size ? $"h2load data bytes {data} < {succeeded} x {cell.Size}" : null);
    }

    private static double SelfCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    [GeneratedRegex(@"finished in (?<seconds>[0-9.]+)s, (?<rps>[0-9.]+) req/s")]
    private static partial Regex FinishedLine();

    [GeneratedRegex(@"requests: (?<total>\d+) total, (?<started>\d+) started, (?<done>\d+) done, (?<succeeded>\d+) succeeded, (?<failed>\d+) failed, (?<errored>\d+) errored")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"\((?<bytes>\d+)\) data")]
    private static partial Regex DataBytes();

    [GeneratedRegex(@"status codes: (?<n>\d+) 2xx")]
    private static partial Regex Status2xx();
}
