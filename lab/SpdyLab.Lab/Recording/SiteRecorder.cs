using System.Net;
using Microsoft.Playwright;
using SpdyLab.Lab.Browser;
using SpdyLab.Sites.Import;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Recording;

/// <summary>What <see cref="SiteRecorder"/> does: where names resolve, what to trust, how long to wait.</summary>
public sealed record RecordOptions
{
    public string ExecutablePath { get; init; } = ChromiumOptions.DefaultExecutable;

    /// <summary>
    /// Host name (or "*") -> address Chromium connects to instead of asking DNS. Empty: the system's
    /// resolver, as for any reachable site. Port 0: keep the URL's port.
    /// </summary>
    public IReadOnlyDictionary<string, IPEndPoint> Hosts { get; init; } = new Dictionary<string, IPEndPoint>();

    /// <summary>Accept any certificate (a lab server, a test host).</summary>
    public bool IgnoreHttpsErrors { get; init; }

    /// <summary>How long the page may take to reach its load event.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After the load event: wait until the network is idle (Playwright: no request for 500 ms),
    /// at most this long, so resources that scripts insert late are recorded too.</summary>
    public TimeSpan IdleWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra time after that, for timers that fire later.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>What a recording produced: the raw HAR and the snapshot builder made from it.</summary>
public sealed record RecordResult(string HarPath, SnapshotBuilder Snapshot, string BrowserVersion, int? DocumentStatus, bool NetworkIdleReached);

/// <summary>
/// <c>spdylab sites record</c>: loads a page in Chromium (the lab's shared launcher, Debian's binary,
/// driven by Playwright), records a HAR with every body embedded (Playwright's RecordHarContent = Embed),
/// and imports it with the HAR importer, so a recording is exactly what <c>sites import</c> would make of
/// the same HAR.
/// </summary>
public static class SiteRecorder
{
    /// <summary>Records <paramref name="url"/> into <paramref name="harPath"/> and imports it as <paramref name="name"/>.
    /// Throws <see cref="ChromiumUnavailableException"/> (message names the fix) when Chromium cannot start.</summary>
    public static async Task<RecordResult> RecordAsync(Uri url, string name, string harPath, RecordOptions options, CancellationToken cancellationToken)
    {
        if (ChromiumLauncher.WhyUnavailable(options.ExecutablePath) is { } problem)
        {
            throw new ChromiumUnavailableException(problem);
        }
        var keepPort = options.Hosts.Values.All(e => e.Port == 0);
        if (!keepPort && options.Hosts.Values.Any(e => e.Port == 0))
        {
            throw new ArgumentException("either every host mapping names a port or none does", nameof(options));
        }
        var chromium = new ChromiumOptions
        {
            ExecutablePath = options.ExecutablePath,
            Hosts = options.Hosts,
            KeepUrlPort = keepPort,
            // The launcher maps every unnamed host to ~NOTFOUND (no DNS leaves a lab world). A recording of a
            // reachable site needs the system's resolver: Chromium takes the last --host-resolver-rules, so an
            // inert rule given last switches the mapping off.
            ExtraArguments = options.Hosts.Count == 0 ? ["--host-resolver-rules=MAP spdylab-unmapped.invalid ~NOTFOUND"] : [],
        };
        await using var browser = await ChromiumLauncher.LaunchAsync(chromium, cancellationToken);
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            RecordHarPath = harPath,
            RecordHarContent = HarContentPolicy.Embed,
            RecordHarMode = HarMode.Full,
            IgnoreHTTPSErrors = options.IgnoreHttpsErrors,
            ServiceWorkers = ServiceWorkerPolicy.Block, // a service worker would answer from its cache: nothing on the wire to record
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        int? status;
        var idle = true;
        try
        {
            var page = await context.NewPageAsync();
            var response = await page.GotoAsync(url.AbsoluteUri, new PageGotoOptions
            {
                WaitUntil = WaitUntilState.Load,
                Timeout = (float)options.Timeout.TotalMilliseconds,
            }).WaitAsync(cancellationToken);
            status = response?.Status;
            try
            {
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new PageWaitForLoadStateOptions { Timeout = (float)options.IdleWait.TotalMilliseconds })
                    .WaitAsync(cancellationToken);
            }
            catch (TimeoutException)
            {
                idle = false; // a page that polls forever: record what came so far
            }
            await Task.Delay(options.Settle, cancellationToken);
        }
        finally
        {
            // Closing the context writes the HAR.
            await context.CloseAsync();
        }
        var builder = Importers.Import(harPath, name, "har");
        builder.Manifest.Source = $"recorded with Chromium {browser.Version} from {url.AbsoluteUri} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)";
        builder.Manifest.Description ??= $"{url.Host}, recorded by spdylab sites record";
        return new RecordResult(harPath, builder, browser.Version, status, idle);
    }
}
