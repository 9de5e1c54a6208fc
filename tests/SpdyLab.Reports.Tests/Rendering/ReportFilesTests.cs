using Microsoft.Playwright;
using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Rendering;
using SpdyLab.Reports.Tests.Fixtures;

namespace SpdyLab.Reports.Tests.Rendering;

/// <summary>
/// The report from the realistic synthetic fixture, written to a folder: every PNG decodes and has the
/// requested size, and report.html opened in real Chromium shows every table and chart (not a blank page).
/// </summary>
[NonParallelizable]
public class ReportFilesTests
{
    /// <summary>Debian's Chromium, which opens report.html as a reader would (Playwright never downloads a browser here).</summary>
    private const string ChromiumExecutable = "/usr/bin/chromium";
    private static Fixture fixture = null!;
    private static Report report = null!;
    private static ReportFiles files = null!;
    private static string outputDirectory = "";

    [OneTimeSetUp]
    public static async Task GenerateReport()
    {
        fixture = SyntheticResults.Create(sites: 12, runs: 4);
        outputDirectory = Environment.GetEnvironmentVariable("SPDYLAB_REPORT_OUT") is { Length: > 0 } keep ? keep : Path.Combine(fixture.Directory, "report");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        (report, files) = await ReportGenerator.GenerateAsync(fixture.DatabasePath, outputDirectory,
            new ReportOptions { PngScale = 1.5, BootstrapResamples = 1000 }, timeout.Token);
    }

    [OneTimeTearDown]
    public static void Cleanup() => fixture?.Dispose();

    [Test]
    public void Report_HasEveryChartKind()
    {
        Assert.That(files.PngSkipped, Is.Null);
        Assert.That(report.AllCharts.Select(c => c.Id), Is.EquivalentTo(new[]
        {
            "table1-plt", "table2-plt", "table2-speedup", "table3-plt", "table3-speedup", "lower-bound", "speedup-cdf", "waterfall", "waterfall-chromium",
        }));
        Assert.That(report.Sections.SelectMany(s => s.Notes).Where(n => n.Contains("omitted", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void Pngs_DecodeAndHaveTheRequestedSize()
    {
        Assert.That(files.Png, Has.Count.EqualTo(report.AllCharts.Count()));
        foreach (var chart in report.AllCharts)
        {
            var (width, height) = Png.ReadSize(File.ReadAllBytes(Path.Combine(outputDirectory, "charts", chart.Id + ".png")));
            Assert.That((width, height), Is.EqualTo(((int)(chart.Width * 1.5), (int)(chart.Height * 1.5))), chart.Id);
        }
    }

    [Test]
    public void Csv_OneFilePerTable()
    {
        Assert.That(files.Csv.Select(Path.GetFileNameWithoutExtension), Is.EquivalentTo(report.AllTables.Select(t => t.Id)));
        var table1 = File.ReadAllLines(Path.Combine(outputDirectory, "tables", "table1.csv"));
        Assert.That(table1[0], Does.StartWith("Transport,Configuration,DSL 2/0.375 Mbit/s PLT (ms),DSL 2/0.375 Mbit/s PLT (ms) ci_low,"));
        Assert.That(table1, Has.Length.EqualTo(1 + 8));
    }

    [Test]
    public void Markdown_LinksEveryChartAndTable()
    {
        var markdown = File.ReadAllText(files.Markdown);
        foreach (var chart in report.AllCharts)
        {
            Assert.That(markdown, Does.Contain($"(charts/{chart.Id}.png)"));
        }
        foreach (var table in report.AllTables)
        {
            Assert.That(markdown, Does.Contain($"(tables/{table.Id}.csv)"));
        }
    }

    [Test, CancelAfter(120_000)]
    public async Task Html_InChromium_ShowsEveryTableAndChart()
    {
        if (!File.Exists(ChromiumExecutable))
        {
            Assert.Ignore($"{ChromiumExecutable} is missing: install Debian's chromium (apt-get install chromium) to open the report in a browser");
        }
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumExecutable, Args = ["--no-sandbox", "--disable-gpu", "--no-first-run"], Timeout = 30_000,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        // Offline: a self-contained report asks for nothing but its own file.
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);
        await page.GotoAsync(new Uri(files.Html).AbsoluteUri, new PageGotoOptions { Timeout = 30_000 });

        foreach (var table in report.AllTables)
        {
            var element = page.Locator($"#table-{table.Id}");
            Assert.That(await element.IsVisibleAsync(), Is.True, $"table {table.Id} visible");
            Assert.That(await element.Locator("tbody tr").CountAsync(), Is.EqualTo(table.Rows.Count), $"rows of {table.Id}");
        }
        foreach (var chart in report.AllCharts)
        {
            var svg = page.Locator($"#chart-{chart.Id} svg");
            Assert.That(await svg.IsVisibleAsync(), Is.True, $"chart {chart.Id} visible");
            var box = await svg.BoundingBoxAsync();
            Assert.That(box!.Width, Is.GreaterThan(600), $"chart {chart.Id} width");
            Assert.That(box.Height, Is.GreaterThan(300), $"chart {chart.Id} height");
        }
        Assert.That(requests.Where(u => !u.StartsWith("file:", StringComparison.Ordinal)), Is.Empty, "the report fetches nothing from the network");

        var screenshot = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true, Type = ScreenshotType.Png });
        var (width, height) = Png.ReadSize(screenshot);
        Assert.That(height, Is.GreaterThan(3000), "the whole report, not one screen");
        var colors = await DistinctColorsAsync(page, screenshot);
        Assert.That(colors, Is.GreaterThan(30), $"a {width}x{height} screenshot with {colors} colours looks blank");

        var tableOne = await page.Locator("#chart-table1-plt").ScreenshotAsync();
        Assert.That(await DistinctColorsAsync(page, tableOne), Is.GreaterThan(8), "Table 1 chart has bars in colour");
    }

    /// <summary>Counts the colours of a PNG by decoding it in the page (a canvas), sampling every 3rd pixel.</summary>
    private static async Task<int> DistinctColorsAsync(IPage page, byte[] png) =>
        await page.EvaluateAsync<int>("""
            async (data) => {
              const image = new Image();
              image.src = 'data:image/png;base64,' + data;
              await image.decode();
              const canvas = document.createElement('canvas');
              canvas.width = image.width; canvas.height = image.height;
              const context = canvas.getContext('2d');
              context.drawImage(image, 0, 0);
              const pixels = context.getImageData(0, 0, image.width, image.height).data;
              const colors = new Set();
              for (let i = 0; i < pixels.length; i += 12) colors.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
              return colors.size;
            }
            """, Convert.ToBase64String(png));
}
