using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Playwright;

namespace SpdyLab.Lab.Browser;

/// <summary>One resource as Chromium's Resource Timing saw it (milliseconds from navigation start).</summary>
public sealed record ChromiumResource(
    string Url, string InitiatorType, string NextHopProtocol, double StartMs, double ResponseEndMs, long TransferSize, long EncodedBodySize);

/// <summary>
/// What Chromium measured for one page load: Navigation Timing of the document, every Resource Timing
/// entry, the negotiated protocol (the document's nextHopProtocol), and where the HAR went.
/// Times are milliseconds from navigation start (the navigation entry's startTime, 0).
/// </summary>
public sealed class ChromiumLoadResult
{
    public string Url { get; init; } = "";
    public string BrowserVersion { get; init; } = "";
    /// <summary>What was asked: "http/1.1" or "h2".</summary>
    public string Protocol { get; init; } = "";
    public bool Tls { get; init; }
    /// <summary>The document's nextHopProtocol: "http/1.1" or "h2" (Chromium's spelling).</summary>
    public string NegotiatedProtocol { get; init; } = "";
    /// <summary>The document's fetchStart: the browser's work between navigation start and asking for the document.</summary>
    public double FetchStartMs { get; init; }
    public double ResponseStartMs { get; init; }
    /// <summary>The document's responseEnd: its last byte arrived.</summary>
    public double ResponseEndMs { get; init; }
    public double LoadEventStartMs { get; init; }
    public double DomContentLoadedEventEndMs { get; init; }
    public double LoadEventEndMs { get; init; }
    /// <summary>The end of the last resource, whichever came later: onload or a resource finishing after it.</summary>
    public double LastResponseEndMs { get; init; }
    /// <summary>Resource Timing entries (subresources; the document is not one of them).</summary>
    public int ResourceCount => Resources.Count;
    public IReadOnlyList<ChromiumResource> Resources { get; init; } = [];
    /// <summary>Sum of transferSize over the document and every resource (headers and bodies as received; 0 where hidden cross-origin).</summary>
    public long TransferBytes { get; init; }
    /// <summary>Subresources whose nextHopProtocol is not the one asked for (cross-origin entries without Timing-Allow-Origin report "").</summary>
    public IReadOnlyList<string> OtherProtocolUrls { get; init; } = [];
    /// <summary>Requests Chromium started but did not complete before the load was read: blocked (mixed content,
    /// CSP, ORB), refused, reset or aborted, as "URL: reason" (Playwright's requestfailed). A lab page load has none.</summary>
    public IReadOnlyList<string> FailedRequests { get; init; } = [];
    /// <summary>Every request the page made up to the read (any frame), as Playwright saw it: Resource Timing
    /// leaves out what frames load and what the browser hides, this does not.</summary>
    public IReadOnlyList<string> RequestedUrls { get; init; } = [];
    public string? HarPath { get; init; }
    /// <summary>The page did not reach its load event in time; the timings are what was measured by then.</summary>
    public bool TimedOut { get; init; }
    public string? Error { get; init; }
    /// <summary>Loads started for this result (more than 1 after net::ERR_NETWORK_CHANGED aborted one).</summary>
    public int Attempts { get; set; } = 1;

    /// <summary>Page load time as the lab reports it for Chromium: the end of the load event.</summary>
    public double PageLoadTimeMs => LoadEventEndMs;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Summary()
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"{Url} in Chromium {BrowserVersion}, asked {Protocol}{(Tls ? " (TLS)" : "")}, negotiated {NegotiatedProtocol}");
        text.AppendLine(inv, $"  load event end  {LoadEventEndMs,10:F1} ms    (responseStart {ResponseStartMs:F1} ms, DOMContentLoaded end {DomContentLoadedEventEndMs:F1} ms)");
        text.AppendLine(inv, $"  last response   {LastResponseEndMs,10:F1} ms");
        text.AppendLine(inv, $"  resources       {ResourceCount,10}    (Resource Timing entries; transfer {TransferBytes} bytes)");
        if (FailedRequests.Count > 0) text.AppendLine(inv, $"  failed or blocked: {FailedRequests.Count} (first: {FailedRequests[0]})");
        if (OtherProtocolUrls.Count > 0) text.AppendLine(inv, $"  not over {Protocol}: {OtherProtocolUrls.Count} (first: {OtherProtocolUrls[0]})");
        if (HarPath is not null) text.AppendLine(inv, $"  HAR             {HarPath}");
        if (TimedOut) text.AppendLine(inv, $"  timed out: {Error}");
        return text.ToString().TrimEnd();
    }
}

/// <summary>
/// A page load in Chromium: launch with the lab's flags (fresh profile, cold cache), navigate, wait for
/// the load event, read Navigation and Resource Timing, close (Playwright writes the HAR on close).
/// </summary>
public static class ChromiumPageLoad
{
    /// <summary>Read after the load event: the navigation entry and every resource entry.</summary>
    private const string TimingScript = """
        () => {
          const n = performance.getEntriesByType('navigation')[0];
          const r = performance.getEntriesByType('resource').map(e => ({
            url: e.name, initiatorType: e.initiatorType, nextHopProtocol: e.nextHopProtocol,
            startMs: e.startTime, responseEndMs: e.responseEnd, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize }));
          return { fetchStart: n.fetchStart, responseStart: n.responseStart, responseEnd: n.responseEnd,
                   domContentLoadedEventEnd: n.domContentLoadedEventEnd, loadEventStart: n.loadEventStart,
                   loadEventEnd: n.loadEventEnd, nextHopProtocol: n.nextHopProtocol, transferSize: n.transferSize, resources: r };
        }
        """;

    /// <param name="url">The page (https:// for TLS).</param>
    /// <param name="protocol">"http/1.1" (HTTP/2 disabled) or "h2" (TLS only: Chromium has no cleartext HTTP/2).</param>
    /// <param name="settle">How long to wait after the load event for late resources (script-inserted after onload).</param>
    public static async Task<ChromiumLoadResult> LoadAsync(string url, string protocol, ChromiumOptions options, string? harPath,
        TimeSpan timeout, CancellationToken cancellationToken, TimeSpan settle = default)
    {
        // Chromium drops its connections and aborts the navigation when the namespace's addresses or routes
        // change (net::ERR_NETWORK_CHANGED). In the root namespace of a lab host other worlds come and go, so
        // such a load is started again from scratch (new browser, fresh profile), at most twice.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var result = await LoadOnceAsync(url, protocol, options, harPath, timeout, cancellationToken, settle);
                result.Attempts = attempt;
                return result;
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal))
            {
            }
        }
    }

    private static async Task<ChromiumLoadResult> LoadOnceAsync(string url, string protocol, ChromiumOptions options, string? harPath,
        TimeSpan timeout, CancellationToken cancellationToken, TimeSpan settle)
    {
        bool tls = url.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
        if (protocol is not ("http/1.1" or "h2"))
            throw new ArgumentException($"Chromium speaks http/1.1 and h2 (SPDY was removed in 2016); got '{protocol}'", nameof(protocol));
        if (protocol == "h2" && !tls)
            throw new ArgumentException("Chromium speaks HTTP/2 over TLS only (no cleartext h2c): load with TLS", nameof(protocol));

        options = options with { DisableHttp2 = protocol == "http/1.1" };
        if (harPath is not null) Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(harPath))!);
        await using var browser = await ChromiumLauncher.LaunchAsync(options, cancellationToken);
        var context = await browser.NewContextAsync(harPath);
        JsonElement timing;
        bool timedOut = false;
        string? error = null;
        var failed = new List<string>();
        List<string> failedAtRead = [];
        var requested = new List<string>();
        List<string> requestedAtRead = [];
        try
        {
            var page = await context.NewPageAsync();
            // Blocked requests (mixed content, CSP) never reach the network, but Playwright reports them here too,
            // with the reason ("mixed-content", "net::ERR_CONNECTION_REFUSED", ...).
            page.Request += (_, request) =>
            {
                lock (requested) requested.Add(request.Url);
            };
            page.RequestFailed += (_, request) =>
            {
                lock (failed) failed.Add($"{request.Url}: {request.Failure ?? "failed"}");
            };
            var milliseconds = (float)timeout.TotalMilliseconds;
            try
            {
                var response = await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = milliseconds })
                    .WaitAsync(cancellationToken);
                if (response is null) throw new InvalidOperationException($"no response for {url}");
                if (response.Status >= 400) error = $"the document answered {response.Status}";
                // loadEventEnd is set when the load handlers return, just after Playwright sees "load".
                await page.WaitForFunctionAsync("() => performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0",
                    null, new PageWaitForFunctionOptions { Timeout = 10_000, PollingInterval = 20 });
                if (settle > TimeSpan.Zero) await Task.Delay(settle, cancellationToken);
            }
            catch (TimeoutException e)
            {
                timedOut = true;
                error = ChromiumLauncher.FirstLine(e.Message);
            }
            catch (PlaywrightException e) when (e.Message.Contains("net::ERR_", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Chromium could not load {url}: {ChromiumLauncher.FirstLine(e.Message)}", e);
            }
            timing = await page.EvaluateAsync<JsonElement>(TimingScript);
            // What failed up to now: closing the context below aborts requests still in flight (late beacons),
            // which are not failures of the page load.
            lock (failed) failedAtRead = [.. failed];
            lock (requested) requestedAtRead = [.. requested];
        }
        finally
        {
            // Closing the context writes the HAR.
            await context.CloseAsync();
        }

        var resources = new List<ChromiumResource>();
        foreach (var r in timing.GetProperty("resources").EnumerateArray())
        {
            resources.Add(new ChromiumResource(
                r.GetProperty("url").GetString() ?? "", r.GetProperty("initiatorType").GetString() ?? "",
                r.GetProperty("nextHopProtocol").GetString() ?? "", r.GetProperty("startMs").GetDouble(),
                r.GetProperty("responseEndMs").GetDouble(), (long)r.GetProperty("transferSize").GetDouble(),
                (long)r.GetProperty("encodedBodySize").GetDouble()));
        }
        var loadEnd = timing.GetProperty("loadEventEnd").GetDouble();
        var wanted = protocol == "h2" ? "h2" : "http/1.1";
        return new ChromiumLoadResult
        {
            Url = url,
            BrowserVersion = browser.Version,
            Protocol = protocol,
            Tls = tls,
            NegotiatedProtocol = timing.GetProperty("nextHopProtocol").GetString() ?? "",
            FetchStartMs = timing.GetProperty("fetchStart").GetDouble(),
            ResponseStartMs = timing.GetProperty("responseStart").GetDouble(),
            ResponseEndMs = timing.GetProperty("responseEnd").GetDouble(),
            LoadEventStartMs = timing.GetProperty("loadEventStart").GetDouble(),
            DomContentLoadedEventEndMs = timing.GetProperty("domContentLoadedEventEnd").GetDouble(),
            LoadEventEndMs = loadEnd,
            LastResponseEndMs = Math.Max(loadEnd, resources.Count == 0 ? 0 : resources.Max(r => r.ResponseEndMs)),
            Resources = resources,
            TransferBytes = (long)timing.GetProperty("transferSize").GetDouble() + resources.Sum(r => r.TransferSize),
            OtherProtocolUrls = resources.Where(r => r.NextHopProtocol.Length > 0 && r.NextHopProtocol != wanted).Select(r => r.Url).ToList(),
            FailedRequests = failedAtRead,
            RequestedUrls = requestedAtRead,
            HarPath = harPath is not null && File.Exists(harPath) ? harPath : null,
            TimedOut = timedOut,
            Error = error,
        };
    }
}
