using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// How long the runtime's garbage collector stopped this process's threads. The link ferries are
/// managed threads in this process, so every such pause freezes every world's link at once: packets
/// due during it leave late, all together. Listens to the runtime's own GC events (suspend begin,
/// restart end: the stretch in which managed threads are stopped) and keeps each pause's length.
/// </summary>
public sealed class GcPauseProbe : EventListener
{
    private const int GCStart = 1;
    private const int GCSuspendEEBegin = 9;
    private const int GCRestartEEEnd = 3;
    private const long GcKeyword = 0x1;
    private readonly List<double> pausesMs = [];
    private readonly long startedAt = Stopwatch.GetTimestamp();
    private readonly int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    private long suspendedAt;
    private string pauseCollection = "";
    private (double Ms, string Collection, DateTime BeganUtc) longest;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Informational, (EventKeywords)GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        // The events carry their own time stamps, taken when the runtime wrote them, not when we see them.
        if (e.EventId == GCSuspendEEBegin)
        {
            pauseCollection = "";
            Interlocked.Exchange(ref suspendedAt, e.TimeStamp.Ticks);
        }
        else if (e.EventId == GCStart && e.PayloadNames is { } names && e.Payload is { } payload)
        {
            // Which collection the current pause is for (a pause with none is a background GC's short one).
            int depth = names.IndexOf("Depth"), type = names.IndexOf("Type");
            if (depth >= 0 && type >= 0)
            {
                pauseCollection = $"gen{payload[depth]} {Convert.ToInt32(payload[type], CultureInfo.InvariantCulture) switch { 0 => "blocking", 1 => "background", _ => "foreground" }}";
            }
        }
        else if (e.EventId == GCRestartEEEnd)
        {
            long began = Interlocked.Exchange(ref suspendedAt, 0);
            if (began == 0) return;
            double ms = TimeSpan.FromTicks(e.TimeStamp.Ticks - began).TotalMilliseconds;
            lock (pausesMs)
            {
                pausesMs.Add(ms);
                if (ms > longest.Ms) longest = (ms, pauseCollection, new DateTime(began, e.TimeStamp.Kind).ToUniversalTime());
            }
        }
    }

    private string Longest()
    {
        lock (pausesMs)
        {
            var what = longest.Collection.Length > 0 ? longest.Collection + ", " : "";
            return string.Create(CultureInfo.InvariantCulture, $"{what}began {longest.BeganUtc:HH:mm:ss.f} UTC");
        }
    }

    /// <summary>The pauses seen so far, in milliseconds.</summary>
    public IReadOnlyList<double> PausesMs
    {
        get { lock (pausesMs) return [.. pausesMs]; }
    }

    /// <summary>"GC: N collections (gen0 a, gen1 b, gen2 c) in S s; threads stopped T ms in total (P% of the time), median m, p99 p, longest x ms (genG kind, began hh:mm:ss.f UTC); K pauses over 50 ms".</summary>
    public string Report()
    {
        var sorted = PausesMs.Order().ToList();
        var seconds = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        int[] counts = [GC.CollectionCount(0) - collectionsBefore[0], GC.CollectionCount(1) - collectionsBefore[1], GC.CollectionCount(2) - collectionsBefore[2]];
        var text = string.Create(CultureInfo.InvariantCulture,
            $"GC: {counts[0]} collections (gen1 {counts[1]}, gen2 {counts[2]}) in {seconds:0} s");
        if (sorted.Count == 0) return text + "; no pause events seen";
        double At(double q) => SortedSamples.At(sorted, q);
        double total = sorted.Sum();
        return text + string.Create(CultureInfo.InvariantCulture,
            $"; threads (and links) stopped {total:0} ms in total ({total / 10 / Math.Max(seconds, 1e-9):0.0}% of the time), " +
            $"median {At(0.5):0.0}, p99 {At(0.99):0.0}, longest {sorted[^1]:0} ms ({Longest()}); {sorted.Count(p => p > 50)} pauses over 50 ms");
    }
}
