using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// Where a trial's time goes, phase by phase (world set-up, server start, page load, teardown, ...), for
/// the overhead measurements in docs/lab.md. Off unless SPDYLAB_PROFILE=1; then the session prints a
/// table at the end. Wall time per phase is exact at any parallelism; the CPU column is the whole
/// process's CPU (plus reaped children) during the phase, so it means "this phase's CPU" only at -j 1.
/// </summary>
public static class TrialProfile
{
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("SPDYLAB_PROFILE") == "1";

    private sealed class Totals
    {
        public long Count;
        public double WallSeconds;
        public double CpuSeconds;
    }

    private static readonly ConcurrentDictionary<string, Totals> phases = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> order = new();

    public static Phase Measure(string name) => Enabled ? new Phase(name) : default;

    public readonly struct Phase : IDisposable
    {
        private readonly string? name;
        private readonly long start;
        private readonly double cpu;

        public Phase(string name)
        {
            this.name = name;
            start = Stopwatch.GetTimestamp();
            cpu = ProcessCpu.TotalSeconds();
        }

        public void Dispose()
        {
            if (name is null) return;
            var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var cpuUsed = ProcessCpu.TotalSeconds() - cpu;
            var totals = phases.GetOrAdd(name, n => { order.Enqueue(n); return new Totals(); });
            lock (totals)
            {
                totals.Count++;
                totals.WallSeconds += wall;
                totals.CpuSeconds += cpuUsed;
            }
        }
    }

    public static void Reset()
    {
        phases.Clear();
        order.Clear();
    }

    /// <summary>One line per phase: count, mean wall ms, mean CPU ms.</summary>
    public static string Report()
    {
        var text = new StringBuilder("phase                          count   wall ms/each   cpu ms/each\n");
        foreach (var name in order.Distinct())
        {
            if (!phases.TryGetValue(name, out var t)) continue;
            lock (t)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-30} {t.Count,6} {t.WallSeconds * 1000 / t.Count,14:0.0} {t.CpuSeconds * 1000 / t.Count,13:0.0}"));
            }
        }
        return text.ToString();
    }
}
