using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SpdyLab.Lab.Commands;

namespace SpdyLab.Lab.Soak;

/// <summary>What a process reports about itself (and, for the parent, what /proc says about the child).</summary>
public sealed record ProcessSample
{
    public double Seconds { get; init; }

    public long WorkingSetBytes { get; init; }

    /// <summary>Live managed heap after a full, compacting collection (what a leak grows).</summary>
    public long HeapAfterGcBytes { get; init; }

    /// <summary>GC heap size as the last GC saw it (fragmentation included).</summary>
    public long GcHeapSizeBytes { get; init; }

    public int Threads { get; init; }

    /// <summary>Open file descriptors (/proc/PID/fd): sockets, files, pipes, epoll.</summary>
    public int FileDescriptors { get; init; }

    public long SpdySessions { get; init; }
}

/// <summary>
/// The server side of <c>spdylab soak</c>: the same server as <c>spdylab serve</c> (<see cref="ServeCommand.StartAsync"/>)
/// in its own process, plus a line protocol on stdin/stdout so the soak can read its GC heap, which /proc cannot
/// show: "stats" -> one JSON <see cref="ProcessSample"/> line; "quit" (or stdin closing) -> stop and exit.
/// </summary>
internal static class SoakServerChild
{
    public const string ReadyPrefix = "soak-server ready ";

    public static async Task<int> RunAsync(string root, string certificateDirectory, CancellationToken cancellationToken)
    {
        var settings = new ServeCommand.ServeSettings
        {
            Root = root,
            Tls = [new IPEndPoint(IPAddress.Loopback, 0)],
            Plain = [new IPEndPoint(IPAddress.Loopback, 0)],
            CertificateDirectory = certificateDirectory,
            Pushes = new() { ["/index.html"] = ["/style.css", "/app.js", "/10k.bin"] },
            LogLevel = LogLevel.Warning,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        };
        await using var server = await ServeCommand.StartAsync(settings, cancellationToken);
        var handler = server.App.Services.GetService(typeof(SpdyLab.Server.Hosting.SpdyConnectionHandler)) as SpdyLab.Server.Hosting.SpdyConnectionHandler;
        var clock = Stopwatch.StartNew();
        Console.WriteLine(ReadyPrefix + JsonSerializer.Serialize(new
        {
            tls = server.TlsUris.First().ToString(),
            plain = server.PlainUris.First().ToString(),
            pid = Environment.ProcessId,
        }));
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line == "stats")
            {
                Console.WriteLine(JsonSerializer.Serialize(Sample(clock.Elapsed.TotalSeconds, handler?.Totals.Sessions ?? 0)));
                Console.Out.Flush();
            }
            else if (line == "quit")
            {
                break;
            }
        }

        await server.StopAsync();
        return 0;
    }

    public static ProcessSample Sample(double seconds, long sessions)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        return new ProcessSample
        {
            Seconds = seconds,
            WorkingSetBytes = Environment.WorkingSet,
            HeapAfterGcBytes = GC.GetTotalMemory(forceFullCollection: false),
            GcHeapSizeBytes = GC.GetGCMemoryInfo().HeapSizeBytes,
            Threads = self.Threads.Count,
            FileDescriptors = CountFileDescriptors("self"),
            SpdySessions = sessions,
        };
    }

    public static int CountFileDescriptors(string pid)
    {
        try
        {
            return Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }
}
