using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Playwright;

namespace SpdyLab.Lab.Browser;

/// <summary>Chromium is missing or would not start; the message names the fix.</summary>
public sealed class ChromiumUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Starts Debian's Chromium through Playwright (.NET) for lab page loads: names mapped to the lab's
/// addresses, the lab CA's keys accepted, QUIC and background networking off, HTTP/2 off on request,
/// a fresh temporary profile per launch (Playwright's default), so every launch starts with a cold cache.
/// One launch serves one page load in the lab (host names map to per-trial addresses, and those are
/// command-line flags); <see cref="ChromiumBrowser.NewContextAsync"/> gives a fresh context besides.
/// </summary>
public static partial class ChromiumLauncher
{
    public const string InstallHint = "install it with `sudo scripts/install-deps.sh` (or `apt-get install chromium`)";

    /// <summary>Why Chromium cannot be launched from <paramref name="executablePath"/>, or null when it looks usable.</summary>
    public static string? WhyUnavailable(string executablePath = ChromiumOptions.DefaultExecutable)
    {
        if (!File.Exists(executablePath)) return $"Chromium not found at {executablePath}: {InstallHint}";
        if (!OperatingSystem.IsLinux()) return "the lab runs Chromium on Linux only";
        return null;
    }

    public static bool IsAvailable(string executablePath = ChromiumOptions.DefaultExecutable) => WhyUnavailable(executablePath) is null;

    /// <summary>Every command-line flag the lab gives Chromium for these options (Playwright adds its own automation flags).</summary>
    public static IReadOnlyList<string> Arguments(ChromiumOptions options)
    {
        var arguments = new List<string>
        {
            // Offline and quiet: nothing but the page's own requests on the link.
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-sync",
            "--disable-default-apps",
            "--no-default-browser-check",
            "--no-first-run",
            "--no-pings",
            "--disable-gpu",
            // Containers have a small /dev/shm; Chromium then crashes on big pages.
            "--disable-dev-shm-usage",
            "--host-resolver-rules=" + HostResolverRules(options.Hosts, options.KeepUrlPort),
        };
        // The sandbox needs user namespaces that root in a container does not get; Chromium refuses to
        // start as root without this flag.
        if (IsRoot) arguments.Add("--no-sandbox");
        if (options.TrustedSpkiHashes.Count > 0)
            arguments.Add("--ignore-certificate-errors-spki-list=" + string.Join(',', options.TrustedSpkiHashes));
        if (options.DisableHttp2) arguments.Add("--disable-http2");
        arguments.AddRange(options.ExtraArguments);
        return arguments;
    }

    /// <summary>
    /// <c>MAP host addr[:port]</c> per mapped host, then <c>MAP * ~NOTFOUND</c> so that no other name
    /// reaches DNS (unless "*" is mapped). Rules are tried in order; the first match wins.
    /// </summary>
    public static string HostResolverRules(IReadOnlyDictionary<string, IPEndPoint> hosts, bool keepUrlPort)
    {
        var rules = new List<string>();
        foreach (var (host, endpoint) in hosts.Where(h => h.Key != "*").OrderBy(h => h.Key, StringComparer.Ordinal))
            rules.Add($"MAP {host} {Target(endpoint, keepUrlPort)}");
        rules.Add(hosts.TryGetValue("*", out var rest) ? $"MAP * {Target(rest, keepUrlPort)}" : "MAP * ~NOTFOUND");
        return string.Join(", ", rules);
    }

    private static string Target(IPEndPoint endpoint, bool keepUrlPort)
    {
        var address = endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        return keepUrlPort ? address : $"{address}:{endpoint.Port}";
    }

    private static readonly SemaphoreSlim DriverLock = new(1, 1);
    private static IPlaywright? driver;

    /// <summary>
    /// The Playwright driver (a node process shipped in the NuGet package, under .playwright next to
    /// spdylab.dll), started once per process and shared by every launch.
    /// </summary>
    private static async Task<IPlaywright> DriverAsync()
    {
        await DriverLock.WaitAsync();
        try
        {
            if (driver is not null) return driver;
            try
            {
                driver = await Playwright.CreateAsync();
            }
            catch (Exception e) when (e is PlaywrightException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
            {
                throw new ChromiumUnavailableException(
                    $"the Playwright driver did not start ({FirstLine(e.Message)}); it ships in the Microsoft.Playwright package under .playwright next to spdylab.dll: rebuild (./spdylab builds it). Never run `playwright install`: the lab uses Debian's Chromium.", e);
            }
            return driver;
        }
        finally
        {
            DriverLock.Release();
        }
    }

    /// <summary>Starts Chromium with the lab's flags. Throws <see cref="ChromiumUnavailableException"/> naming the fix.</summary>
    public static async Task<ChromiumBrowser> LaunchAsync(ChromiumOptions options, CancellationToken cancellationToken = default)
    {
        if (WhyUnavailable(options.ExecutablePath) is { } problem) throw new ChromiumUnavailableException(problem);
        var playwright = await DriverAsync();
        cancellationToken.ThrowIfCancellationRequested();

        string executable = options.ExecutablePath;
        string? wrapper = null;
        if (options.NetworkNamespace is { } ns)
        {
            wrapper = WriteNamespaceWrapper(ns, options.ExecutablePath);
            executable = wrapper;
        }
        try
        {
            var launch = playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Args = Arguments(options),
                Headless = options.Headless,
                Timeout = (float)options.LaunchTimeout.TotalMilliseconds,
                // Playwright's own default arguments stay (automation pipe, a temporary profile directory).
                HandleSIGINT = false,
                HandleSIGTERM = false,
                HandleSIGHUP = false,
            });
            var browser = await launch.WaitAsync(cancellationToken);
            return new ChromiumBrowser(browser, options, wrapper);
        }
        catch (PlaywrightException e)
        {
            if (wrapper is not null) File.Delete(wrapper);
            throw new ChromiumUnavailableException(
                $"Chromium ({options.ExecutablePath}) failed to start: {FirstLine(e.Message)}. Check that `{options.ExecutablePath} --headless --no-sandbox --dump-dom about:blank` works; if not, {InstallHint}.", e);
        }
        catch
        {
            if (wrapper is not null) File.Delete(wrapper);
            throw;
        }
    }

    /// <summary>A script that runs Chromium in a network namespace; Playwright starts it in Chromium's place.</summary>
    private static string WriteNamespaceWrapper(string networkNamespace, string chromium)
    {
        if (!NamespaceName().IsMatch(networkNamespace))
            throw new ArgumentException($"'{networkNamespace}' is not a network namespace name", nameof(networkNamespace));
        var path = Path.Combine(Path.GetTempPath(), $"spdylab-chromium-{networkNamespace}-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, $"#!/bin/sh\nexec ip netns exec {networkNamespace} {chromium} \"$@\"\n");
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return path;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial System.Text.RegularExpressions.Regex NamespaceName();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    private static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    internal static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return line.Length > 300 ? line[..300] : line;
    }
}

/// <summary>A running Chromium; dispose to close it (and delete its temporary profile).</summary>
public sealed class ChromiumBrowser(IBrowser browser, ChromiumOptions options, string? wrapperScript) : IAsyncDisposable
{
    public IBrowser Browser { get; } = browser;
    public ChromiumOptions Options { get; } = options;
    public string Version => Browser.Version;

    /// <summary>
    /// A fresh browser context (its own cookies, cache and connection pool); with <paramref name="harPath"/>,
    /// Playwright writes a HAR of everything the context loads when the context is closed.
    /// </summary>
    public Task<IBrowserContext> NewContextAsync(string? harPath = null, bool ignoreHttpsErrors = false) =>
        Browser.NewContextAsync(new BrowserNewContextOptions
        {
            RecordHarPath = harPath,
            RecordHarContent = harPath is null ? null : HarContentPolicy.Omit,
            IgnoreHTTPSErrors = ignoreHttpsErrors,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Browser.CloseAsync();
        }
        catch (PlaywrightException)
        {
            // Already gone (crashed or killed): nothing to close.
        }
        if (wrapperScript is not null) File.Delete(wrapperScript);
    }
}
