using System.Diagnostics;
using System.Net;
using SpdyLab.Client;
using SpdyLab.Lab.Bench;

namespace SpdyLab.Benchmarks.Profiling;

/// <summary>
/// <c>dotnet run -c Release --project bench/SpdyLab.Benchmarks -- profile [spdy|h2] [size] [CxS] [seconds]</c>
/// (with <c>SPDYLAB_PROFILE=alloc</c>: allocation samples instead of CPU samples):
/// the bench server's app (<see cref="BenchServer"/>) on Kestrel, loaded by SpdyClientConnection (SPDY/3.1, ours) or HttpClient (h2c)
/// in this process, sampled with EventPipe; prints requests per second, CPU per request and the hottest methods.
/// </summary>
internal static class ServerProfile
{
    public static async Task<int> RunAsync(string[] args)
    {
        var generator = args.ElementAtOrDefault(0) ?? "spdy";
        var raw = generator.EndsWith("-raw", StringComparison.Ordinal);
        var protocol = raw ? generator[..^4] : generator;
        var size = int.Parse(args.ElementAtOrDefault(1) ?? "1024");
        var load = (args.ElementAtOrDefault(2) ?? "1x100").Split('x').Select(int.Parse).ToArray();
        var seconds = double.Parse(args.ElementAtOrDefault(3) ?? "5", System.Globalization.CultureInfo.InvariantCulture);
        var traceFile = Path.Combine(Path.GetTempPath(), $"spdylab-profile-{generator}-{size}.nettrace");

        // The bench server's app (lab/SpdyLab.Lab/Bench/BenchServer.cs, linked): the same handler `bench server` measures.
        await using var server = await BenchServer.StartAsync(new Dictionary<string, byte[]> { ["/r.bin"] = new byte[size] }, CancellationToken.None);
        var port = protocol == "spdy" ? server.SpdyPort : server.Http2Port;

        if (raw)
        {
            return await RunRawAsync(protocol == "spdy" ? RawProtocol.Spdy31 : RawProtocol.Http2, port, size, new BenchLoad(load[0], load[1]), seconds, traceFile);
        }

        var origin = new Uri($"http://127.0.0.1:{port}");
        var url = new Uri(origin, "/r.bin");
        var slots = new List<Func<byte[], Task>>();
        var cleanup = new List<IAsyncDisposable>();
        for (var c = 0; c < load[0]; c++)
        {
            if (protocol == "spdy")
            {
                var connection = await ClientConnector.ConnectAsync(origin, new ClientOptions { Protocol = ClientProtocol.Spdy31 }, CancellationToken.None);
                cleanup.Add(connection);
                slots.AddRange(Enumerable.Range(0, load[1]).Select(_ => (Func<byte[], Task>)(async buffer =>
                {
                    await using var response = await connection.SendAsync(new ClientRequest(url), CancellationToken.None);
                    await ReadAllAsync(response.Body, buffer);
                })));
            }
            else
            {
                var client = new HttpClient(new SocketsHttpHandler()) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
                slots.AddRange(Enumerable.Range(0, load[1]).Select(_ => (Func<byte[], Task>)(async buffer =>
                {
                    using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                    await using var stream = await response.Content.ReadAsStreamAsync();
                    await ReadAllAsync(stream, buffer);
                })));
            }
        }

        long requests = 0;
        async Task Drive(TimeSpan length)
        {
            var end = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
            await Task.WhenAll(slots.Select(slot => Task.Run(async () =>
            {
                var buffer = new byte[size + 1];
                while (Stopwatch.GetTimestamp() < end)
                {
                    await slot(buffer);
                    Interlocked.Increment(ref requests);
                }
            })));
        }

        await Drive(TimeSpan.FromSeconds(1)); // warm-up (JIT)
        requests = 0;
        var m = await MeasureAsync(() => Drive(TimeSpan.FromSeconds(seconds)), traceFile);
        Console.WriteLine($"{protocol} {size} B {load[0]}x{load[1]}: {requests / m.Seconds:F0} req/s, {m.CpuSeconds * 1e6 / requests:F0} us CPU/req (client + server, sampling on), {m.AllocatedBytes / (double)requests:F0} B allocated/req, {m.Gen0Collections} gen0 GCs, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine(m.Summary);
        foreach (var item in cleanup)
        {
            await item.DisposeAsync();
        }

        return 0;
    }

    /// <summary>
    /// The server alone under the raw-frame generator (lab/SpdyLab.Lab/Bench/RawLoad.cs, on its own threads): CPU per
    /// request with and without the generator's threads; bytes allocated per request are the server's (the
    /// generator allocates nothing per request once warm).
    /// </summary>
    private static async Task<int> RunRawAsync(RawProtocol protocol, int port, int size, BenchLoad load, double seconds, string traceFile)
    {
        RawLoadSettings Settings(double window) => new()
        {
            Protocol = protocol,
            EndPoint = new IPEndPoint(IPAddress.Loopback, port),
            Path = "/r.bin",
            ExpectedBodyLength = size,
            Load = load,
            WarmUp = TimeSpan.Zero,
            Window = TimeSpan.FromSeconds(window),
        };

        RawLoad.Run(Settings(1), CancellationToken.None); // warm-up (JIT)
        RawLoadResult? result = null;
        var m = await MeasureAsync(() => Task.Run(() => result = RawLoad.Run(Settings(seconds), CancellationToken.None)), traceFile);
        var requests = result!.TotalResponses;
        Console.WriteLine($"{protocol} raw frames {size} B {load}: {result.WindowOk / result.WindowSeconds:F0} req/s, {m.CpuSeconds * 1e6 / requests:F0} us CPU/req " +
            $"(generator + server, sampling on), server alone ~{(m.CpuSeconds - result.GeneratorCpuSeconds) * 1e6 / requests:F0} us, {m.AllocatedBytes / (double)requests:F0} B allocated/req, " +
            $"{m.Gen0Collections} gen0 GCs, {result.Errors} errors, {result.TotalBad} bad{(result.Note is null ? "" : " (" + result.Note + ")")}, {m.Seconds:F1} s, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine(m.Summary);
        return 0;
    }

    /// <summary>What one sampled run cost this process: wall and CPU seconds, bytes allocated, gen0 collections, and the sampler's summary.</summary>
    private sealed record Measurement(double Seconds, double CpuSeconds, long AllocatedBytes, int Gen0Collections, string Summary);

    private static async Task<Measurement> MeasureAsync(Func<Task> run, string traceFile)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var collections = GC.CollectionCount(0);
        var watch = Stopwatch.StartNew();
        var summary = await EventPipeSampler.RunAsync(run, traceFile, 45,
            allocations: Environment.GetEnvironmentVariable("SPDYLAB_PROFILE") == "alloc");
        return new Measurement(
            watch.Elapsed.TotalSeconds,
            (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds,
            GC.GetTotalAllocatedBytes(precise: false) - allocated,
            GC.CollectionCount(0) - collections,
            summary);
    }

    private static async Task ReadAllAsync(Stream body, byte[] buffer)
    {
        var total = 0;
        while (true)
        {
            var read = await body.ReadAsync(buffer.AsMemory(total % buffer.Length));
            if (read == 0)
            {
                return;
            }

            total += read;
        }
    }
}
