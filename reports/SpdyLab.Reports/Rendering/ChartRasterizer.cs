using System.Diagnostics;
using Microsoft.Playwright;

namespace SpdyLab.Reports.Rendering;

/// <summary>One SVG to turn into a PNG of (width × scale) by (height × scale) pixels.</summary>
public sealed record RasterJob(string Svg, int Width, int Height, string PngPath);

/// <summary>No browser to render PNGs with; the report still has every SVG.</summary>
public sealed class ChartRasterizerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

public interface IChartRasterizer
{
    Task RenderAsync(IReadOnlyList<RasterJob> jobs, double scale, CancellationToken cancellationToken);
}

/// <summary>
/// Renders SVG charts to PNG with Debian's Chromium, driven by Playwright (.NET). Playwright never
/// downloads a browser here: it is pointed at /usr/bin/chromium. If Playwright cannot start (no driver,
/// no node), falls back to <c>chromium --headless --screenshot</c>.
/// </summary>
public sealed class ChromiumRasterizer(string executablePath = ChromiumRasterizer.DefaultExecutable) : IChartRasterizer
{
    public const string DefaultExecutable = "/usr/bin/chromium";

    /// <summary>Quiet, offline, sandbox-free (we run as root in CI) Chromium.</summary>
    public static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
        "--disable-component-update", "--no-first-run",
    ];

    public string ExecutablePath { get; } = executablePath;

    /// <summary>Which path rendered the last batch: "playwright" or "chromium --screenshot".</summary>
    public string? LastMethod { get; private set; }

    public async Task RenderAsync(IReadOnlyList<RasterJob> jobs, double scale, CancellationToken cancellationToken)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new ChartRasterizerUnavailableException($"{ExecutablePath} not found (install Debian's chromium: apt-get install chromium).");
        }
        Exception playwrightFailure;
        try
        {
            await RenderWithPlaywrightAsync(jobs, scale, cancellationToken);
            LastMethod = "playwright";
            return;
        }
        catch (PlaywrightException e)
        {
            playwrightFailure = e;
        }
        catch (InvalidOperationException e)
        {
            playwrightFailure = e;
        }
        try
        {
            await RenderWithScreenshotFlagAsync(jobs, scale, cancellationToken);
            LastMethod = "chromium --screenshot";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ChartRasterizerUnavailableException(
                $"Playwright failed ({playwrightFailure.Message.Split('\n')[0]}) and chromium --screenshot failed ({e.Message}).", e);
        }
    }

    private async Task RenderWithPlaywrightAsync(IReadOnlyList<RasterJob> jobs, double scale, CancellationToken cancellationToken)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Args = Arguments,
            Headless = true,
            Timeout = 30_000,
        });
        foreach (var job in jobs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                ViewportSize = new ViewportSize { Width = job.Width, Height = job.Height },
                DeviceScaleFactor = (float)scale,
            });
            var page = await context.NewPageAsync();
            await page.SetContentAsync(Page(job.Svg), new PageSetContentOptions { Timeout = 15_000 });
            await page.ScreenshotAsync(new PageScreenshotOptions
            {
                Path = job.PngPath,
                Type = ScreenshotType.Png,
                Clip = new Clip { X = 0, Y = 0, Width = job.Width, Height = job.Height },
                Timeout = 15_000,
            });
        }
    }

    private async Task RenderWithScreenshotFlagAsync(IReadOnlyList<RasterJob> jobs, double scale, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("spdylab-png-");
        try
        {
            foreach (var job in jobs)
            {
                var html = Path.Combine(scratch.FullName, "chart.html");
                await File.WriteAllTextAsync(html, Page(job.Svg), cancellationToken);
                var start = new ProcessStartInfo(ExecutablePath)
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                };
                foreach (var argument in Arguments.Concat([
                    "--headless", "--hide-scrollbars", $"--user-data-dir={Path.Combine(scratch.FullName, "profile")}",
                    $"--window-size={job.Width},{job.Height}", $"--force-device-scale-factor={scale.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                    $"--screenshot={job.PngPath}", new Uri(html).AbsoluteUri]))
                {
                    start.ArgumentList.Add(argument);
                }
                using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {ExecutablePath}");
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
                _ = process.StandardOutput.ReadToEndAsync(timeout.Token);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    throw new TimeoutException($"chromium --screenshot took more than 30 s for {job.PngPath}");
                }
                if (process.ExitCode != 0 || !File.Exists(job.PngPath))
                {
                    throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {(await stderr).Split('\n').LastOrDefault(l => l.Length > 0)}");
                }
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static string Page(string svg) =>
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>html,body{margin:0;padding:0;background:white;overflow:hidden}svg{display:block}</style></head><body>" +
        svg + "</body></html>";
}
