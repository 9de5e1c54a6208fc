using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using SpdyLab.Lab.Commands;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Interop.Tests.Server;

/// <summary>
/// `spdylab serve` started in-process on OS-chosen loopback ports over a small static site, with
/// /index.html pushing /style.css, plus helpers to run the external peers against it.
/// </summary>
internal sealed class ServeFixture : IAsyncDisposable
{
    private ServeFixture(string home, string site, ServeCommand.RunningServer server)
    {
        Home = home;
        Site = site;
        Server = server;
    }

    public string Home { get; }

    public string Site { get; }

    public ServeCommand.RunningServer Server { get; }

    public Uri Tls => Server.TlsUris.Single();

    public Uri Plain => Server.PlainUris.Single();

    public string RootCertificate => Path.Combine(Home, "ca", "root.crt");

    /// <summary>Bodies of the flow-control edges: under one DATA chunk, one byte over the 64 KB default window, several windows.</summary>
    public static readonly int[] EdgeSizes = [1024, 65_537, 300_000];

    /// <param name="cleartextVersion3">what cleartext wire version 3 speaks; null: decided by the peer (the default).</param>
    public static async Task<ServeFixture> StartAsync(SpdyWireVersion? cleartextVersion3 = null)
    {
        var home = Path.Combine(Path.GetTempPath(), "spdylab-serve-interop-" + Guid.NewGuid().ToString("N")[..8]);
        var site = Path.Combine(home, "site");
        Directory.CreateDirectory(site);
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<html><head><link rel=stylesheet href=/style.css></head><body>hi</body></html>");
        await File.WriteAllTextAsync(Path.Combine(site, "style.css"), "body { color: #123456 }");
        var big = new byte[300_000];
        new Random(7).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(site, "big.bin"), big);
        foreach (var size in EdgeSizes)
        {
            var bytes = new byte[size];
            new Random(size).NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(site, $"edge-{size}.bin"), bytes);
        }
        var settings = new ServeCommand.ServeSettings
        {
            Root = site,
            Tls = [new IPEndPoint(IPAddress.Loopback, 0)],
            Plain = [new IPEndPoint(IPAddress.Loopback, 0)],
            CertificateDirectory = Path.Combine(home, "ca"),
            Pushes = ServeCommand.ParsePushes(["/index.html=/style.css"]),
            LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
            CleartextVersion3 = cleartextVersion3,
        };
        var server = await ServeCommand.StartAsync(settings, CancellationToken.None);
        return new ServeFixture(home, site, server);
    }

    public string Sha256Of(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Site, file))));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs a program with a time bound; returns exit code, stdout, stderr.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeout}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public static string? FindProgram(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
