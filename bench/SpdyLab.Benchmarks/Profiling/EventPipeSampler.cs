using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace SpdyLab.Benchmarks.Profiling;

/// <summary>
/// CPU sampling of this very process through EventPipe (what dotnet-trace does, without the tool): the runtime's
/// sample profiler takes a stack of every managed thread about every millisecond; samples are attributed to methods
/// inclusively (anywhere on the stack) and exclusively (top frame). Threads waiting in the runtime's blocking
/// primitives are sampled too, so wait frames (Monitor.Wait, epoll, LowLevelLifoSemaphore) are left out of the tables.
/// </summary>
internal static class EventPipeSampler
{
    /// <param name="allocations">Sample allocations (GC AllocationTick, about one per 100 KB, with type and stack) instead of CPU.</param>
    public static async Task<string> RunAsync(Func<Task> workload, string traceFile, int top, bool allocations = false)
    {
        var client = new DiagnosticsClient(Environment.ProcessId);
        var providers = allocations
            ? new[] { new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.Default)) }
            : new[]
            {
                new EventPipeProvider("Microsoft-DotNETCore-SampleProfiler", EventLevel.Informational),
                new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)ClrTraceEventParser.Keywords.Default),
            };
        using (var session = client.StartEventPipeSession(providers, requestRundown: true, circularBufferMB: 256))
        {
            await using var file = File.Create(traceFile);
            var copy = session.EventStream.CopyToAsync(file);
            await workload();
            session.Stop();
            await copy;
        }

        return allocations ? SummarizeAllocations(traceFile, top) : Summarize(traceFile, top);
    }

    private static string SummarizeAllocations(string traceFile, int top)
    {
        var etlx = TraceLog.CreateFromEventPipeDataFile(traceFile);
        using var log = new TraceLog(etlx);
        var byType = new Dictionary<string, int>();
        var bySite = new Dictionary<string, int>();
        var ticks = 0;
        foreach (var e in log.Events)
        {
            if (e is not Microsoft.Diagnostics.Tracing.Parsers.Clr.GCAllocationTickTraceData tick)
            {
                continue;
            }

            ticks++;
            byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + 1;
            var frames = new List<string>();
            for (var s = e.CallStack(); s is not null && frames.Count < 40; s = s.Caller)
            {
                frames.Add(Short(Name(s.CodeAddress)));
            }

            var ours = frames.FirstOrDefault(f => f.StartsWith("SpdyLab.", StringComparison.Ordinal) && !f.StartsWith("SpdyLab.Benchmarks", StringComparison.Ordinal)) ?? "(no SpdyLab frame)";
            var key = $"{tick.TypeName}  <-  {ours}";
            bySite[key] = bySite.GetValueOrDefault(key) + 1;
        }

        var text = new System.Text.StringBuilder();
        text.AppendLine($"{ticks} allocation ticks (each about 100 KB allocated)");
        text.AppendLine("-- by type --");
        foreach (var (name, count) in byType.OrderByDescending(kv => kv.Value).Take(top))
        {
            text.AppendLine($"{100.0 * count / ticks,6:F1}%  {name}");
        }

        text.AppendLine("-- by type <- innermost SpdyLab frame --");
        foreach (var (name, count) in bySite.OrderByDescending(kv => kv.Value).Take(top))
        {
            text.AppendLine($"{100.0 * count / ticks,6:F1}%  {name}");
        }

        return text.ToString();
    }

    private static readonly string[] WaitFrames =
    [
        "System.Threading.Monitor.Wait", "System.Threading.LowLevelLifoSemaphore", "System.Threading.WaitHandle.Wait",
        "System.Threading.Thread.Sleep", "Interop+Sys.WaitForSocketEvents", "System.Threading.PortableThreadPool+GateThread",
        "System.Threading.LowLevelMonitor", "System.Threading.SemaphoreSlim.Wait(", "System.Threading.ManualResetEventSlim.Wait",
        "Interop+Sys.LowLevelMonitor", "System.Threading.WaitSubsystem", "System.Threading.Thread.SleepInternal",
        "System.Threading.ThreadPoolWorkQueue.Dispatch", // the idle loop's own frame when it is the top
    ];

    private static readonly string[] IdleTops =
    [
        "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart", "System.Net.Sockets.SocketAsyncEngine.EventLoop",
        "Interop+Sys.WaitForSocketEvents", "System.Threading.Thread.StartCallback",
    ];

    private static string Short(string name)
    {
        var paren = name.IndexOf('(');
        return paren > 0 ? name[..paren] : name;
    }

    private static string Summarize(string traceFile, int top)
    {
        var etlx = TraceLog.CreateFromEventPipeDataFile(traceFile);
        using var log = new TraceLog(etlx);
        var inclusive = new Dictionary<string, int>();
        var exclusive = new Dictionary<string, int>();
        var attributed = new Dictionary<string, int>();
        var samples = 0;
        // SPDYLAB_PROFILE_STACKS=text: also count the whole stacks (up to 25 frames) whose top managed frame contains it,
        // to see which lock or call a hot top frame comes from.
        var stackFilter = Environment.GetEnvironmentVariable("SPDYLAB_PROFILE_STACKS");
        var stacks = new Dictionary<string, int>();
        foreach (var e in log.Events)
        {
            if (e.ProviderName != "Microsoft-DotNETCore-SampleProfiler")
            {
                continue;
            }

            var stack = e.CallStack();
            if (stack is null)
            {
                continue;
            }

            var frames = new List<string>();
            for (var s = stack; s is not null; s = s.Caller)
            {
                frames.Add(Name(s.CodeAddress));
            }

            var topManaged = frames.FirstOrDefault(f => !f.StartsWith('!') && !f.StartsWith("?!", StringComparison.Ordinal)) ?? "";
            if (frames.Count == 0 || WaitFrames.Any(w => frames.Take(6).Any(f => f.StartsWith(w, StringComparison.Ordinal)))
                || IdleTops.Any(t => topManaged.StartsWith(t, StringComparison.Ordinal)) || frames.Any(f => f.StartsWith("System.IO.FileSystemWatcher", StringComparison.Ordinal)))
            {
                continue; // a thread blocked or idle, not working
            }

            samples++;
            if (!string.IsNullOrEmpty(stackFilter) && topManaged.Contains(stackFilter, StringComparison.Ordinal))
            {
                var whole = string.Join("\n      ", frames.Take(25).Select(Short));
                stacks[whole] = stacks.GetValueOrDefault(whole) + 1;
            }

            exclusive[frames[0]] = exclusive.GetValueOrDefault(frames[0]) + 1;
            // Who in our code is responsible: the top frame, charged to the innermost SpdyLab frame below it.
            var ours = frames.FirstOrDefault(f => f.StartsWith("SpdyLab.", StringComparison.Ordinal) && !f.StartsWith("SpdyLab.Benchmarks", StringComparison.Ordinal)) ?? "(no SpdyLab frame)";
            var key = $"{Short(topManaged)}  <-  {Short(ours)}";
            attributed[key] = attributed.GetValueOrDefault(key) + 1;
            foreach (var f in frames.Distinct())
            {
                inclusive[f] = inclusive.GetValueOrDefault(f) + 1;
            }
        }

        var text = new System.Text.StringBuilder();
        text.AppendLine($"{samples} busy samples");
        text.AppendLine("-- inclusive (% of busy samples) --");
        foreach (var (name, count) in inclusive.OrderByDescending(kv => kv.Value).Take(top))
        {
            text.AppendLine($"{100.0 * count / samples,6:F1}%  {name}");
        }

        text.AppendLine("-- top managed frame <- innermost SpdyLab frame --");
        foreach (var (name, count) in attributed.OrderByDescending(kv => kv.Value).Take(top))
        {
            text.AppendLine($"{100.0 * count / samples,6:F1}%  {name}");
        }

        text.AppendLine("-- exclusive --");
        foreach (var (name, count) in exclusive.OrderByDescending(kv => kv.Value).Take(top))
        {
            text.AppendLine($"{100.0 * count / samples,6:F1}%  {name}");
        }

        foreach (var (stackText, count) in stacks.OrderByDescending(kv => kv.Value).Take(8))
        {
            text.AppendLine($"-- stack ({100.0 * count / samples:F1}%) --\n      {stackText}");
        }

        return text.ToString();
    }

    private static string Name(TraceCodeAddress address)
    {
        var method = address.Method;
        if (method is not null)
        {
            return method.FullMethodName;
        }

        return $"{address.ModuleName ?? "?"}!0x{address.Address:x}";
    }
}
