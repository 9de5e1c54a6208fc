using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace SpdyLab.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/SpdyLab.Benchmarks -- --filter '*'</c> (or <c>spdylab bench codec</c>).
/// The default job is short and in-process: the machine is shared and a full BenchmarkDotNet run (separate
/// process per benchmark, 15+ iterations) takes far longer than the figures' noise justifies. Pass
/// <c>--job default</c> (and <c>--runtimes net10.0</c>) on a quiet machine for tighter intervals.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.FirstOrDefault() == "profile")
        {
            return Profiling.ServerProfile.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        IConfig config = DefaultConfig.Instance;
        if (!args.Any(a => a is "--job" or "-j" or "--inProcess" or "-i"))
        {
            config = config.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(200)).WithId("short-inprocess"));
        }

        config = config
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.JoinSummary);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
