using System.Diagnostics;
using System.Text.Json;

namespace SpdyLab.Interop.Tests.Support;

/// <summary>Where the node-spdy peer scripts are, and whether they can run here.</summary>
public static class NodePeers
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string PeersDirectory => Path.Combine(RepositoryRoot, "tools", "peers");

    /// <summary>Skips the test (with what is missing and how to get it) unless node and npm `spdy` are installed.</summary>
    public static void RequireNodeSpdy()
    {
        if (FindNode() is null)
        {
            Assert.Ignore("node is not installed: run scripts/install-deps.sh (installs nodejs/npm and npm spdy 4.0.2)");
        }

        if (!File.Exists(Path.Combine(PeersDirectory, "node_modules", "spdy", "package.json")))
        {
            Assert.Ignore($"npm module 'spdy' is missing in {PeersDirectory}: run scripts/install-deps.sh");
        }
    }

    public static string? FindNode()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "node");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SpdyLab.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"SpdyLab.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>
/// A running tools/peers/spdy-server.js. Its stdin is a pipe we hold: disposing closes it (the script exits
/// on stdin close) and kills the process if it is still there after a moment.
/// </summary>
public sealed class NodeSpdyServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringWriter _stderr = new();

    private NodeSpdyServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>What the server wrote on stderr so far (with --verbose, one line per request).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts the server with the given arguments (e.g. --plain, or --tls --key K --cert C) and waits until it listens.</summary>
    public static async Task<NodeSpdyServer> StartAsync(params string[] arguments)
    {
        NodePeers.RequireNodeSpdy();
        var start = new ProcessStartInfo(NodePeers.FindNode()!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = NodePeers.PeersDirectory,
        };
        start.ArgumentList.Add(Path.Combine(NodePeers.PeersDirectory, "spdy-server.js"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stderr = new StringWriter();
        var readLine = process.StandardOutput.ReadLineAsync();
        var finished = await Task.WhenAny(readLine, Task.Delay(TimeSpan.FromSeconds(15)));
        if (finished != readLine || readLine.Result is null)
        {
            var errors = process.HasExited ? await process.StandardError.ReadToEndAsync() : "(still running)";
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"spdy-server.js {string.Join(' ', arguments)} did not report listening: {errors}");
        }

        using var json = JsonDocument.Parse(readLine.Result);
        var server = new NodeSpdyServer(process, json.RootElement.GetProperty("port").GetInt32());
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (server._stderr)
                {
                    server._stderr.WriteLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
        }
    }
}
