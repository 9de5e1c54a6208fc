using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using SpdyLab.Client;
using SpdyLab.Protocol.Compression;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Lab.Bench;

/// <summary>What one <c>spdylab bench server</c> run measures.</summary>
internal sealed class ServerBenchSettings
{
    /// <summary>Measured seconds per cell (a short unmeasured warm-up precedes each of our own generators' cells).</summary>
    public double Seconds { get; init; } = 3;

    public IReadOnlyList<int> Sizes { get; init; } = [1024, 100 * 1024];

    public IReadOnlyList<BenchLoad> Loads { get; init; } = [new(1, 100), new(16, 10)];

    public bool UseH2load { get; init; } = true;

    public bool UseNode { get; init; } = true;

    /// <summary>tools/peers (spdy-file-server.js and its node_modules).</summary>
    public required string PeersDirectory { get; init; }

    public Action<string>? Progress { get; init; }
}

/// <summary>Who serves and who loads in one cell of the table.</summary>
internal enum BenchTarget
{
    SpdyOurs,
    Http2Kestrel,
    Http2KestrelH2load,
    SpdyOursRawFrames,

    /// <summary>
    /// Diagnostic: our server with its reply header blocks deflated at zlib level 0 (stored blocks, which any peer
    /// inflates), driven by raw frames. Next to <see cref="SpdyOursRawFrames"/> it measures, in the same run, what
    /// level-9 header compression costs the server; the targets are judged on the default server only.
    /// </summary>
    SpdyOursRawFramesStoredHeaders,
    Http2KestrelRawFrames,
    Http11Kestrel,
    SpdyNode,
}

internal sealed record BenchCell(BenchTarget Target, int Size, BenchLoad Load)
{
    /// <summary>The generator column's name for <see cref="RawLoad"/>.</summary>
    public const string RawFramesGenerator = "raw frames";

    public const string StoredHeadersServer = "SPDY/3.1 (ours, reply headers zlib level 0: diagnostic)";

    public string Server => Target switch
    {
        BenchTarget.SpdyOurs or BenchTarget.SpdyOursRawFrames => "SPDY/3.1 (ours)",
        BenchTarget.SpdyOursRawFramesStoredHeaders => StoredHeadersServer,
        BenchTarget.Http2Kestrel or BenchTarget.Http2KestrelH2load or BenchTarget.Http2KestrelRawFrames => "HTTP/2 (Kestrel)",
        BenchTarget.Http11Kestrel => "HTTP/1.1 (Kestrel)",
        BenchTarget.SpdyNode => "SPDY/3.1 (node-spdy)",
        _ => Target.ToString(),
    };

    public string Generator => Target switch
    {
        BenchTarget.SpdyOurs or BenchTarget.SpdyNode => "SpdyClientConnection",
        BenchTarget.Http2KestrelH2load => "h2load",
        BenchTarget.SpdyOursRawFrames or BenchTarget.SpdyOursRawFramesStoredHeaders or BenchTarget.Http2KestrelRawFrames => RawFramesGenerator,
        _ => "HttpClient",
    };
}

/// <summary>One cell's figures. CPU counts every process of the cell: load generator and server.</summary>
internal sealed record BenchResult(BenchCell Cell, long Requests, long Errors, long BadBodies, double Seconds,
    double P50Ms, double P99Ms, double CpuSeconds, string? Note)
{
    /// <summary>CPU of the server alone, where the generator's can be told apart (raw frames: its own threads; h2load: its own process).</summary>
    public double ServerCpuSeconds { get; init; } = double.NaN;

    public double ServerCpuMicrosPerRequest => Requests > 0 ? ServerCpuSeconds * 1e6 / Requests : double.NaN;

    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;

    public double CpuMicrosPerRequest => Requests > 0 ? CpuSeconds * 1e6 / Requests : double.NaN;

    public bool Skipped => Requests == 0 && Note is not null && Errors == 0 && BadBodies == 0;
}

/// <summary>
/// Server throughput side by side: one ASP.NET Core app serving in-memory 1 KB / 100 KB resources over
/// our SPDY/3.1 and Kestrel's own HTTP/2 and HTTP/1.1 (cleartext loopback, three listeners of the same
/// host), plus node-spdy serving the same bytes; every cell at the same concurrency for the same time.
/// </summary>
internal static class ServerBench
{
    /// <summary>Byte i of every resource is i % 251 (prime, so the pattern never lines up with frames).</summary>
    public static byte[] Body(int size)
    {
        var body = new byte[size];
        for (var i = 0; i < size; i++)
        {
            body[i] = (byte)(i % 251);
        }
        return body;
    }

    public static string ResourcePath(int size) => $"/r{size}.bin";

    public static async Task<IReadOnlyList<BenchResult>> RunAsync(ServerBenchSettings settings, CancellationToken cancellationToken)
    {
        var bodies = settings.Sizes.Distinct().ToDictionary(ResourcePath, Body);
        await using var server = await BenchServer.StartAsync(bodies, cancellationToken);
        int spdyPort = server.SpdyPort, h2Port = server.Http2Port, h1Port = server.Http1Port;
        // The same app in a host of its own whose SPDY sessions deflate reply headers at level 0 (the only difference).
        await using var storedHeadersServer = await BenchServer.StartAsync(bodies, cancellationToken,
            spdy => spdy.HeaderCompression = new HeaderCompressionOptions(Level: 0));

        var folder = Directory.CreateTempSubdirectory("spdylab-bench-");
        try
        {
            foreach (var (path, body) in bodies)
            {
                await File.WriteAllBytesAsync(Path.Combine(folder.FullName, path.TrimStart('/')), body, cancellationToken);
            }

            async Task<BenchResult> RunCellAsync(BenchCell cell, ServerBenchSettings cellSettings) => cell.Target switch
            {
                BenchTarget.SpdyOurs => await RunOwnGeneratorAsync(cell, cellSettings, bodies, SpdyWorkers(new Uri($"http://127.0.0.1:{spdyPort}")), null, cancellationToken),
                BenchTarget.Http2Kestrel => await RunOwnGeneratorAsync(cell, cellSettings, bodies, HttpClientWorkers(new Uri($"http://127.0.0.1:{h2Port}"), HttpVersion.Version20), null, cancellationToken),
                BenchTarget.Http11Kestrel => await RunOwnGeneratorAsync(cell, cellSettings, bodies, HttpClientWorkers(new Uri($"http://127.0.0.1:{h1Port}"), HttpVersion.Version11), null, cancellationToken),
                BenchTarget.SpdyOursRawFrames => await RunRawFramesAsync(cell, cellSettings, RawProtocol.Spdy31, spdyPort, cancellationToken),
                BenchTarget.SpdyOursRawFramesStoredHeaders => await RunRawFramesAsync(cell, cellSettings, RawProtocol.Spdy31, storedHeadersServer.SpdyPort, cancellationToken),
                BenchTarget.Http2KestrelRawFrames => await RunRawFramesAsync(cell, cellSettings, RawProtocol.Http2, h2Port, cancellationToken),
                BenchTarget.Http2KestrelH2load => cellSettings.UseH2load
                    ? await H2load.RunAsync(cell, new Uri($"http://127.0.0.1:{h2Port}{ResourcePath(cell.Size)}"), cellSettings.Seconds, cancellationToken)
                    : Skip(cell, "h2load not requested (--no-h2load)"),
                BenchTarget.SpdyNode => cellSettings.UseNode
                    ? await RunNodeAsync(cell, cellSettings, bodies, folder.FullName, cancellationToken)
                    : Skip(cell, "node-spdy not requested (--no-node)"),
                _ => throw new ArgumentOutOfRangeException(nameof(cell), cell.Target, null),
            };

            // One unmeasured pass over every in-process generator and server first: without it the first measured
            // cell paid for JIT compilation and the thread pool's growth (a 16x10 own-clients cell measured first
            // gave 27.5k req/s against ~140k measured later in the same run). h2load and node-spdy are processes of
            // their own, started per cell.
            var warmUp = new ServerBenchSettings
            {
                Seconds = Math.Min(0.5, settings.Seconds),
                PeersDirectory = settings.PeersDirectory,
                UseH2load = false,
                UseNode = false,
            };
            settings.Progress?.Invoke("bench: warming up every in-process generator and server (not measured) ...");
            foreach (var load in settings.Loads)
            {
                foreach (var target in Enum.GetValues<BenchTarget>())
                {
                    await RunCellAsync(new BenchCell(target, settings.Sizes[0], load), warmUp);
                }
            }

            var results = new List<BenchResult>();
            foreach (var size in settings.Sizes)
            {
                foreach (var load in settings.Loads)
                {
                    foreach (var target in Enum.GetValues<BenchTarget>())
                    {
                        var cell = new BenchCell(target, size, load);
                        settings.Progress?.Invoke($"bench: {cell.Server} via {cell.Generator}, {size} B, {load} ...");
                        var result = await RunCellAsync(cell, settings);
                        settings.Progress?.Invoke($"       {result.RequestsPerSecond:F0} req/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, " +
                            $"{result.CpuMicrosPerRequest:F0} us CPU/req, {result.Requests} requests, {result.Errors} errors, {result.BadBodies} bad bodies{(result.Note is null ? "" : "; " + result.Note)}");
                        results.Add(result);
                    }
                }
            }
            return results;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// One cell driven by <see cref="RawLoad"/> on its own threads in this process: process CPU over the window
    /// is generator + server, the generator threads' own CPU is subtracted for the server's.
    /// </summary>
    private static async Task<BenchResult> RunRawFramesAsync(BenchCell cell, ServerBenchSettings settings, RawProtocol protocol, int port,
        CancellationToken cancellationToken)
    {
        var warmUp = TimeSpan.FromSeconds(Math.Min(1, settings.Seconds / 5));
        var window = TimeSpan.FromSeconds(settings.Seconds);
        var start = Stopwatch.GetTimestamp();
        var raw = new RawLoadSettings
        {
            Protocol = protocol,
            EndPoint = new IPEndPoint(IPAddress.Loopback, port),
            Path = ResourcePath(cell.Size),
            ExpectedBodyLength = cell.Size,
            Load = cell.Load,
            StartTimestamp = start,
            WarmUp = warmUp,
            Window = window,
        };
        var run = Task.Run(() => RawLoad.Run(raw, cancellationToken), cancellationToken);
        await Task.Delay(warmUp, cancellationToken);
        var cpuBefore = CpuSeconds(null);
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)((warmUp + window).TotalSeconds * Stopwatch.Frequency));
        await Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken);
        var cpuAfter = CpuSeconds(null);
        var result = await run;
        var cpu = cpuAfter - cpuBefore;
        return new BenchResult(cell, result.WindowOk, result.Errors, result.WindowBad, result.WindowSeconds,
            Percentile(result.SortedLatencyTicks, 0.50), Percentile(result.SortedLatencyTicks, 0.99), cpu, result.Note)
        {
            ServerCpuSeconds = Math.Max(0, cpu - result.GeneratorCpuSeconds),
        };
    }

    internal static BenchResult Skip(BenchCell cell, string reason) => new(cell, 0, 0, 0, 0, double.NaN, double.NaN, 0, reason);

    private static async Task<BenchResult> RunNodeAsync(BenchCell cell, ServerBenchSettings settings, Dictionary<string, byte[]> bodies,
        string folder, CancellationToken cancellationToken)
    {
        NodeFileServer server;
        try
        {
            server = await NodeFileServer.StartAsync(settings.PeersDirectory, folder, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or FileNotFoundException)
        {
            return Skip(cell, $"node-spdy unavailable: {e.Message}");
        }
        await using (server)
        {
            return await RunOwnGeneratorAsync(cell, settings, bodies, SpdyWorkers(new Uri($"http://127.0.0.1:{server.Port}")), server.ProcessId, cancellationToken);
        }
    }

    /// <summary>Sends one request with the worker's buffer; answers the status and the body length read.</summary>
    private delegate Task<(int Status, int Length)> SendOnce(byte[] buffer, CancellationToken cancellationToken);

    /// <summary>Opens the cell's connections; answers one SendOnce per concurrent request slot and a cleanup.</summary>
    private delegate Task<(List<SendOnce> Slots, Func<ValueTask> Cleanup)> WorkerFactory(BenchLoad load, string path, CancellationToken cancellationToken);

    private static WorkerFactory SpdyWorkers(Uri origin) => async (load, path, cancellationToken) =>
    {
        var connections = new List<IClientConnection>();
        var slots = new List<SendOnce>();
        var url = new Uri(origin, path);
        for (var c = 0; c < load.Connections; c++)
        {
            var connection = await ClientConnector.ConnectAsync(origin, new ClientOptions { Protocol = ClientProtocol.Spdy31 }, cancellationToken);
            connections.Add(connection);
            for (var s = 0; s < load.Streams; s++)
            {
                slots.Add(async (buffer, ct) =>
                {
                    await using var response = await connection.SendAsync(new ClientRequest(url), ct);
                    return (response.Status, await ReadAllAsync(response.Body, buffer, ct));
                });
            }
        }
        return (slots, async () =>
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        });
    };

    private static WorkerFactory HttpClientWorkers(Uri origin, Version version) => (load, path, cancellationToken) =>
    {
        var url = new Uri(origin, path);
        var clients = new List<HttpClient>();
        var slots = new List<SendOnce>();
        if (version == HttpVersion.Version20)
        {
            // One handler per connection: a handler keeps one HTTP/2 connection (up to the server's
            // 100 concurrent streams) unless EnableMultipleHttp2Connections is set.
            for (var c = 0; c < load.Connections; c++)
            {
                var client = NewClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = false }, version);
                clients.Add(client);
                slots.AddRange(Enumerable.Range(0, load.Streams).Select(_ => HttpSlot(client, url)));
            }
        }
        else
        {
            // HTTP/1.1 carries one request at a time: the same concurrency needs C x S pooled connections.
            var client = NewClient(new SocketsHttpHandler { MaxConnectionsPerServer = load.Concurrency }, version);
            clients.Add(client);
            slots.AddRange(Enumerable.Range(0, load.Concurrency).Select(_ => HttpSlot(client, url)));
        }
        return Task.FromResult<(List<SendOnce>, Func<ValueTask>)>((slots, () =>
        {
            clients.ForEach(c => c.Dispose());
            return ValueTask.CompletedTask;
        }));
    };

    private static HttpClient NewClient(SocketsHttpHandler handler, Version version) => new(handler)
    {
        DefaultRequestVersion = version,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static SendOnce HttpSlot(HttpClient client, Uri url) => async (buffer, ct) =>
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        return ((int)response.StatusCode, await ReadAllAsync(body, buffer, ct));
    };

    /// <summary>Reads the body into buffer (one byte longer than expected, so an over-long body shows).</summary>
    private static async Task<int> ReadAllAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }

    private sealed class SlotStats
    {
        public List<long> Latencies { get; } = [];
        public long Errors;
        public long BadBodies;
        public string? LastError;
    }

    /// <summary>
    /// Runs every slot in a loop (send, read, check the body) through a warm-up and the measured window.
    /// A request counts when it completes inside the window; CPU is sampled at the window's edges
    /// (this process, plus the external server process when there is one).
    /// </summary>
    private static async Task<BenchResult> RunOwnGeneratorAsync(BenchCell cell, ServerBenchSettings settings, Dictionary<string, byte[]> bodies,
        WorkerFactory factory, int? serverProcessId, CancellationToken cancellationToken)
    {
        var path = ResourcePath(cell.Size);
        var expected = bodies[path];
        var warmUp = TimeSpan.FromSeconds(Math.Min(1, settings.Seconds / 5));
        var window = TimeSpan.FromSeconds(settings.Seconds);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(warmUp + window + TimeSpan.FromSeconds(30));

        List<SendOnce> slots;
        Func<ValueTask> cleanup;
        try
        {
            (slots, cleanup) = await factory(cell.Load, path, bound.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return new BenchResult(cell, 0, 1, 0, 0, double.NaN, double.NaN, 0, $"connect failed: {e.Message}");
        }

        try
        {
            var start = Stopwatch.GetTimestamp();
            var measureStart = start + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
            var end = measureStart + (long)(window.TotalSeconds * Stopwatch.Frequency);
            var stats = slots.Select(_ => new SlotStats()).ToArray();
            var workers = slots.Select((slot, i) => Task.Run(() => RunSlotAsync(slot, expected, measureStart, end, stats[i], bound.Token))).ToArray();

            await Task.Delay(warmUp, bound.Token);
            var cpuBefore = CpuSeconds(serverProcessId);
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end) is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero, bound.Token);
            var cpuAfter = CpuSeconds(serverProcessId);
            // Requests count when they complete in [measureStart, end]; on a loaded machine the CPU
            // samples can land a little late, which the window's length does not.
            var windowSeconds = window.TotalSeconds;
            await Task.WhenAll(workers);

            var latencies = stats.SelectMany(s => s.Latencies).Order().ToArray();
            var errors = stats.Sum(s => s.Errors);
            var bad = stats.Sum(s => s.BadBodies);
            var note = stats.Select(s => s.LastError).FirstOrDefault(e => e is not null);
            return new BenchResult(cell, latencies.Length, errors, bad, windowSeconds,
                Percentile(latencies, 0.50), Percentile(latencies, 0.99), cpuAfter - cpuBefore, note is null ? null : $"last error: {note}");
        }
        finally
        {
            await cleanup();
        }
    }

    private static async Task RunSlotAsync(SendOnce send, byte[] expected, long measureStart, long end, SlotStats stats, CancellationToken cancellationToken)
    {
        var buffer = new byte[expected.Length + 1];
        while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                var (status, length) = await send(buffer, cancellationToken);
                var done = Stopwatch.GetTimestamp();
                if (done < measureStart)
                {
                    continue;
                }
                if (done > end)
                {
                    break;
                }
                if (status == 200 && length == expected.Length && buffer.AsSpan(0, length).SequenceEqual(expected))
                {
                    stats.Latencies.Add(done - sent);
                }
                else
                {
                    stats.BadBodies++;
                    stats.LastError ??= $"status {status}, {length} body bytes (expected 200, {expected.Length})";
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                stats.Errors++;
                stats.LastError = $"{e.GetType().Name}: {e.Message}";
                // A broken connection fails every later request at once: stop this slot rather than spin.
                if (stats.Errors >= 100)
                {
                    break;
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Nearest-rank percentile of sorted Stopwatch ticks, in milliseconds.</summary>
    internal static double Percentile(long[] sortedTicks, double fraction)
    {
        if (sortedTicks.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(fraction * sortedTicks.Length) - 1;
        return sortedTicks[Math.Clamp(rank, 0, sortedTicks.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>CPU seconds (user + system) of this process, plus another live process's from /proc.</summary>
    private static double CpuSeconds(int? otherProcessId)
    {
        using var self = Process.GetCurrentProcess();
        var seconds = self.TotalProcessorTime.TotalSeconds;
        if (otherProcessId is { } pid)
        {
            seconds += ProcCpu.ProcessSeconds(pid);
        }
        return seconds;
    }
}
