using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SpdyLab.Client;

namespace SpdyLab.Lab.Soak;

public sealed class SoakOptions
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Load before the start sample (JIT, pools and caches warm), then a quiet moment.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Concurrent load loops, each running one scenario after another.</summary>
    public int Workers { get; init; } = 12;

    public int Seed { get; init; } = 1;

    /// <summary>How to start the server process: the spdylab executable (or dotnet) and the arguments before "soak".</summary>
    public required string ServerFile { get; init; }

    public IReadOnlyList<string> ServerArgumentsPrefix { get; init; } = [];

    public required string WorkDirectory { get; init; }

    public Action<string> Progress { get; init; } = _ => { };
}

public sealed class SoakReport
{
    public required ProcessSample Start { get; init; }

    public required ProcessSample End { get; init; }

    public List<ProcessSample> Samples { get; init; } = [];

    public TimeSpan Elapsed { get; init; }

    public required IReadOnlyDictionary<string, long> Counters { get; init; }

    public required IReadOnlyList<string> UnexpectedErrors { get; init; }

    public long UnexpectedErrorCount { get; init; }

    public int Seed { get; init; }

    public bool ServerExitedCleanly { get; init; }

    /// <summary>Margins for "no leak": drift between the start and end samples (both taken idle, after a full GC).</summary>
    public static readonly (string Name, Func<ProcessSample, double> Value, double Margin, string Unit)[] Rows =
    [
        ("heap after full GC", s => s.HeapAfterGcBytes / 1048576.0, 8, "MB"),
        ("GC heap size", s => s.GcHeapSizeBytes / 1048576.0, 16, "MB"),
        ("working set", s => s.WorkingSetBytes / 1048576.0, 48, "MB"),
        ("threads", s => s.Threads, 8, string.Empty),
        ("file descriptors", s => s.FileDescriptors, 5, string.Empty),
    ];

    public bool WithinMargins => Rows.All(r => r.Value(End) - r.Value(Start) <= r.Margin);

    public string ToMarkdown()
    {
        var b = new StringBuilder();
        b.AppendLine($"soak: {Elapsed.TotalMinutes:F1} min of load (seed {Seed}), server process idle at both samples, after a full GC");
        b.AppendLine();
        b.AppendLine("| server process | start | end | drift | margin | ok |");
        b.AppendLine("|---|---|---|---|---|---|");
        foreach (var (name, value, margin, unit) in Rows)
        {
            var drift = value(End) - value(Start);
            var format = unit.Length == 0 ? "F0" : "F1";
            string Show(double v) => $"{v.ToString(format, System.Globalization.CultureInfo.InvariantCulture)}{(unit.Length == 0 ? string.Empty : " " + unit)}";
            b.AppendLine($"| {name} | {Show(value(Start))} | {Show(value(End))} | {(drift > 0 ? "+" : string.Empty)}{Show(drift)} | {Show(margin)} | {(drift <= margin ? "yes" : "NO")} |");
        }

        b.AppendLine();
        if (Samples.Count > 0)
        {
            b.AppendLine("samples under load (s: heap MB / working set MB / threads / fds): " + string.Join("; ", Samples.Select(s =>
                $"{s.Seconds:F0}: {s.HeapAfterGcBytes / 1048576.0:F1} / {s.WorkingSetBytes / 1048576.0:F0} / {s.Threads} / {s.FileDescriptors}")));
            b.AppendLine();
        }

        b.AppendLine("load: " + string.Join(", ", Counters.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        b.AppendLine($"requests/s: {Counters.GetValueOrDefault("requests ok") / Math.Max(1, Elapsed.TotalSeconds):F0}; SPDY sessions served: {End.SpdySessions}");
        b.AppendLine($"unexpected errors: {UnexpectedErrorCount}{(UnexpectedErrors.Count > 0 ? " (first: " + string.Join(" | ", UnexpectedErrors.Take(5)) + ")" : string.Empty)}");
        b.AppendLine($"server stopped cleanly: {(ServerExitedCleanly ? "yes" : "NO")}; all drifts within margins: {(WithinMargins ? "yes" : "NO")}");
        return b.ToString();
    }
}

/// <summary>
/// <c>spdylab soak</c>: mixed load against the <c>spdylab serve</c> server in its own process for a bounded time
/// (many sessions, concurrent streams, resets, slow readers, pushes, abrupt closes; SPDY/2, /3, /3.1 over TLS and
/// cleartext, h2 over TLS, HTTP/1.1 both ways), sampling the server's memory, threads and file descriptors idle
/// before and after. Every scenario has its own deadline; the whole run stops itself.
/// </summary>
public sealed class SoakRunner(SoakOptions options)
{
    private static readonly string[] Files = ["1k.bin", "10k.bin", "100k.bin", "1m.bin", "style.css", "app.js", "index.html"];
    private static readonly (ClientProtocol Protocol, bool Tls)[] Protocols =
    [
        (ClientProtocol.Spdy31, true), (ClientProtocol.Spdy3, true), (ClientProtocol.Spdy2, true),
        (ClientProtocol.Spdy31, false), (ClientProtocol.Spdy2, false),
        (ClientProtocol.Http2, true), (ClientProtocol.Http11, true), (ClientProtocol.Http11, false),
    ];

    private readonly ConcurrentDictionary<string, long> _counters = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private long _errorCount;
    private Uri _tls = null!;
    private Uri _plain = null!;
    private Process _server = null!;
    private volatile bool _paused;

    private void Count(string name, long n = 1) => _counters.AddOrUpdate(name, n, (_, v) => v + n);

    public async Task<SoakReport> RunAsync(CancellationToken cancellationToken)
    {
        var root = Path.Combine(options.WorkDirectory, "root");
        WriteFiles(root);
        await StartServerAsync(root, cancellationToken);
        var samples = new List<ProcessSample>();
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, options.Workers).Select(i => Task.Run(() => WorkerAsync(i, stop.Token), CancellationToken.None)).ToList();
        ProcessSample start;
        ProcessSample end;
        var exitedCleanly = false;
        try
        {
            options.Progress($"warm-up {options.WarmUp.TotalSeconds:F0} s with {options.Workers} load loops");
            await Task.Delay(options.WarmUp, cancellationToken);
            start = await IdleSampleAsync(cancellationToken);
            options.Progress($"start: {Describe(start)}");
            var loadStart = clock.Elapsed;
            while (clock.Elapsed - loadStart < options.Duration)
            {
                var left = options.Duration - (clock.Elapsed - loadStart);
                await Task.Delay(left < options.SampleInterval ? left : options.SampleInterval, cancellationToken);
                var sample = await SampleAsync(cancellationToken);
                samples.Add(sample);
                options.Progress($"{(clock.Elapsed - loadStart).TotalSeconds:F0} s: {Describe(sample)}; {Summary()}");
            }

            await stop.CancelAsync();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
            end = await IdleSampleAsync(cancellationToken);
            options.Progress($"end: {Describe(end)}");
        }
        finally
        {
            await stop.CancelAsync();
            exitedCleanly = await StopServerAsync();
        }

        return new SoakReport
        {
            Start = start,
            End = end,
            Samples = samples,
            Elapsed = options.Duration,
            Counters = new Dictionary<string, long>(_counters),
            UnexpectedErrors = _errors.ToList(),
            UnexpectedErrorCount = Interlocked.Read(ref _errorCount),
            Seed = options.Seed,
            ServerExitedCleanly = exitedCleanly,
        };
    }

    private string Summary() => $"{_counters.GetValueOrDefault("requests ok")} requests ok, {Interlocked.Read(ref _errorCount)} unexpected errors";

    private static string Describe(ProcessSample s) =>
        $"heap {s.HeapAfterGcBytes / 1048576.0:F1} MB, GC heap {s.GcHeapSizeBytes / 1048576.0:F1} MB, working set {s.WorkingSetBytes / 1048576.0:F0} MB, {s.Threads} threads, {s.FileDescriptors} fds";

    // ------------------------------------------------------------------ the server process

    private static void WriteFiles(string root)
    {
        Directory.CreateDirectory(root);
        var random = new Random(7);
        foreach (var (name, size) in new[] { ("1k.bin", 1024), ("10k.bin", 10240), ("100k.bin", 102400), ("1m.bin", 1 << 20), ("style.css", 5000), ("app.js", 20000) })
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(root, name), bytes);
        }

        File.WriteAllText(Path.Combine(root, "index.html"),
            "<!doctype html><link rel=stylesheet href=/style.css><script src=/app.js></script><img src=/10k.bin><p>soak</p>");
    }

    private async Task StartServerAsync(string root, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.ServerFile)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in options.ServerArgumentsPrefix.Concat(["soak", "--serve-child", root, "--cert-dir", Path.Combine(options.WorkDirectory, "ca")]))
        {
            start.ArgumentList.Add(argument);
        }

        _server = Process.Start(start) ?? throw new IOException($"could not start {options.ServerFile}");
        var stderr = new StringBuilder();
        _server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }

                options.Progress($"server: {e.Data}");
            }
        };
        _server.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        while (true)
        {
            var line = await _server.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new IOException($"the server process exited before it was ready: {stderr}");
            if (line.StartsWith(SoakServerChild.ReadyPrefix, StringComparison.Ordinal))
            {
                using var ready = JsonDocument.Parse(line[SoakServerChild.ReadyPrefix.Length..]);
                _tls = new Uri(ready.RootElement.GetProperty("tls").GetString()!.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
                _plain = new Uri(ready.RootElement.GetProperty("plain").GetString()!);
                options.Progress($"server process {_server.Id}: {_tls} (TLS), {_plain} (cleartext)");
                return;
            }
        }
    }

    private async Task<ProcessSample> SampleAsync(CancellationToken cancellationToken)
    {
        await _server.StandardInput.WriteLineAsync("stats".AsMemory(), cancellationToken);
        await _server.StandardInput.FlushAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await _server.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new IOException("the server process exited");
            if (line.StartsWith('{'))
            {
                var sample = JsonSerializer.Deserialize<ProcessSample>(line)!;
                // The file descriptor count as /proc shows it from outside is the one that counts.
                var fds = SoakServerChild.CountFileDescriptors(_server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return fds >= 0 ? sample with { FileDescriptors = fds } : sample;
            }
        }
    }

    /// <summary>Pauses the load, lets connections close, samples, resumes.</summary>
    private async Task<ProcessSample> IdleSampleAsync(CancellationToken cancellationToken)
    {
        _paused = true;
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var sample = await SampleAsync(cancellationToken);
        _paused = false;
        return sample;
    }

    private async Task<bool> StopServerAsync()
    {
        try
        {
            await _server.StandardInput.WriteLineAsync("quit");
            await _server.StandardInput.FlushAsync();
            _server.StandardInput.Close();
            await _server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            return _server.ExitCode == 0;
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            if (!_server.HasExited)
            {
                _server.Kill(entireProcessTree: true);
            }

            return false;
        }
        finally
        {
            _server.Dispose();
        }
    }

    // ------------------------------------------------------------------ load

    private async Task WorkerAsync(int index, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed * 1000 + index);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_paused)
            {
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            var (protocol, tls) = Protocols[random.Next(Protocols.Length)];
            var scenario = random.Next(10) switch
            {
                < 3 => "burst",
                3 => "resets",
                4 => "slow reader",
                5 => "push",
                6 => "abrupt close",
                7 => "many sessions",
                _ => "burst",
            };
            if (scenario == "push" && !protocol.IsSpdy())
            {
                scenario = "burst";
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await (scenario switch
                {
                    "burst" => BurstAsync(random, protocol, tls, deadline.Token),
                    "resets" => ResetsAsync(random, protocol, tls, deadline.Token),
                    "slow reader" => SlowReaderAsync(random, protocol, tls, deadline.Token),
                    "push" => PushAsync(protocol, tls, deadline.Token),
                    "abrupt close" => AbruptCloseAsync(random, tls, deadline.Token),
                    _ => ManySessionsAsync(random, protocol, tls, deadline.Token),
                });
                Count($"scenario {scenario}");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _errorCount);
                if (_errors.Count < 50)
                {
                    _errors.Enqueue($"{scenario} {protocol.AlpnId()}{(tls ? "/tls" : string.Empty)}: {e.GetType().Name}: {e.Message}");
                }
            }
        }
    }

    private Task<IClientConnection> ConnectAsync(ClientProtocol protocol, bool tls, CancellationToken cancellationToken) =>
        ClientConnector.ConnectAsync(tls ? _tls : _plain, new ClientOptions
        {
            Protocol = protocol,
            Insecure = true,
            ResponseIdleTimeout = TimeSpan.FromSeconds(20),
        }, cancellationToken);

    private Uri Url(bool tls, string file) => new(tls ? _tls : _plain, "/" + file);

    private async Task GetAndReadAsync(IClientConnection connection, Uri url, CancellationToken cancellationToken)
    {
        await using var response = await connection.SendAsync(new ClientRequest(url), cancellationToken);
        var buffer = new byte[16384];
        long total = 0;
        int read;
        while ((read = await response.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
        }

        if (response.Status != 200 || total == 0)
        {
            throw new IOException($"{url}: status {response.Status}, {total} bytes");
        }

        Count("requests ok");
        Count("bytes", total);
    }

    private async Task BurstAsync(Random random, ClientProtocol protocol, bool tls, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(protocol, tls, cancellationToken);
        var count = 5 + random.Next(36);
        var files = Enumerable.Range(0, count).Select(_ => Files[random.Next(Files.Length - 1)]).ToList(); // no index.html (pushes); 1m.bin mostly swapped for 100k.bin below
        await Task.WhenAll(files.Select(f => GetAndReadAsync(connection, Url(tls, f == "1m.bin" && random.Next(4) != 0 ? "100k.bin" : f), cancellationToken)));
    }

    private async Task ResetsAsync(Random random, ClientProtocol protocol, bool tls, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(protocol, tls, cancellationToken);
        var tasks = Enumerable.Range(0, 4 + random.Next(8)).Select(async i =>
        {
            if (i % 3 == 2)
            {
                // Cancelled before the response: SPDY resets the stream (RST_STREAM CANCEL).
                using var early = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                early.CancelAfter(TimeSpan.FromMilliseconds(1 + (i * 7 % 20)));
                try
                {
                    await using var r = await connection.SendAsync(new ClientRequest(Url(tls, "1m.bin")), early.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }

                Count("resets");
                return;
            }

            // Read part of a large body, then drop it: RST_STREAM CANCEL (h2: RST_STREAM, HTTP/1.1: the connection).
            await using var response = await connection.SendAsync(new ClientRequest(Url(tls, "1m.bin")), cancellationToken);
            var buffer = new byte[8192];
            for (var n = (i * 13) % 6; n > 0 && await response.Body.ReadAsync(buffer, cancellationToken) > 0; n--)
            {
            }

            Count("resets");
        });
        await Task.WhenAll(tasks);
    }

    private async Task SlowReaderAsync(Random random, ClientProtocol protocol, bool tls, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(protocol, tls, cancellationToken);
        await using var response = await connection.SendAsync(new ClientRequest(Url(tls, "1m.bin")), cancellationToken);
        var buffer = new byte[4096];
        var until = Stopwatch.StartNew();
        var limit = TimeSpan.FromMilliseconds(500 + random.Next(2000));
        while (until.Elapsed < limit && await response.Body.ReadAsync(buffer, cancellationToken) > 0)
        {
            await Task.Delay(10, cancellationToken);
        }

        Count("slow reads");
    }

    private async Task PushAsync(ClientProtocol protocol, bool tls, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(protocol, tls, cancellationToken);
        await GetAndReadAsync(connection, Url(tls, "index.html"), cancellationToken);
        var pushed = await connection.WaitForPushesAsync(cancellationToken);
        Count("pushes", pushed.Count(p => p.Error is null));
    }

    private async Task AbruptCloseAsync(Random random, bool tls, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        var target = tls ? _tls : _plain;
        await client.ConnectAsync(target.Host, target.Port, cancellationToken);
        var stream = client.GetStream();
        var bytes = random.Next(3) switch
        {
            0 => new byte[] { 0x80, 0x03, 0x00, 0x01, 0x01, 0x00, 0x01 }, // half a SYN_STREAM header
            1 => "GET / HTTP/1.1\r\nHost: x\r\n"u8.ToArray(),                // half an HTTP/1.1 request
            _ => new byte[] { 0x16, 0x03, 0x01, 0x00, 0x50, 0x01 },         // the start of a TLS ClientHello
        };
        await stream.WriteAsync(bytes, cancellationToken);
        client.Client.Close(0); // reset, no FIN handshake
        Count("abrupt closes");
    }

    private async Task ManySessionsAsync(Random random, ClientProtocol protocol, bool tls, CancellationToken cancellationToken)
    {
        var sessions = 4 + random.Next(12);
        await Task.WhenAll(Enumerable.Range(0, sessions).Select(async _ =>
        {
            await using var connection = await ConnectAsync(protocol, tls, cancellationToken);
            await GetAndReadAsync(connection, Url(tls, "1k.bin"), cancellationToken);
        }));
        Count("sessions", sessions);
    }
}
