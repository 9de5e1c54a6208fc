using System.Diagnostics;
using System.Text.Json;

namespace SpdyLab.Lab.Bench;

/// <summary>A running tools/peers/spdy-file-server.js (node-spdy) serving one folder over cleartext SPDY.</summary>
internal sealed class NodeFileServer : IAsyncDisposable
{
    private readonly Process _process;

    private NodeFileServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public static async Task<NodeFileServer> StartAsync(string peersDirectory, string root, CancellationToken cancellationToken)
    {
        var script = Path.Combine(peersDirectory, "spdy-file-server.js");
        if (!File.Exists(script))
        {
            throw new FileNotFoundException($"{script} not found");
        }
        if (!Directory.Exists(Path.Combine(peersDirectory, "node_modules", "spdy")))
        {
            throw new InvalidOperationException($"npm module spdy not installed in {peersDirectory} (run scripts/install-deps.sh)");
        }
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true, // the script exits when this pipe closes, so it cannot outlive us
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, "--root", root })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(bound.Token);
            if (line is not null)
            {
                using var json = JsonDocument.Parse(line);
                if (json.RootElement.TryGetProperty("port", out var port))
                {
                    return new NodeFileServer(process, port.GetInt32());
                }
            }
            var errors = await process.StandardError.ReadToEndAsync(bound.Token);
            throw new InvalidOperationException($"spdy-file-server.js did not report listening: {errors.Trim()}");
        }
        catch
        {
            Stop(process);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stop(_process);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
        }
        _process.Dispose();
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
