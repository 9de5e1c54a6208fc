using System.Xml.Linq;
using SpdyLab.Reports.Charts;
using SpdyLab.Reports.Statistics;
using SpdyLab.Reports.Tests.Fixtures;
using SpdyLab.Reports.Tests.Rendering;

namespace SpdyLab.Reports.Tests.Charts;

public class ChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XDocument Parse(Chart chart) => XDocument.Parse(chart.ToSvg());

    /// <summary>The SVG's text elements as strings (ScottPlot writes each label as one text element).</summary>
    private static List<string> Texts(XDocument svg) => svg.Descendants(Svg + "text").Select(t => t.Value.Trim()).ToList();

    private static BarChart Bars() => new("bars", "Table 1 & <friends>")
    {
        Subtitle = "bars: mean",
        Categories = ["HTTP", "SPDY/3 basic single-domain"],
        Series = [("DSL", [new Estimate(3000, 2800, 3200, 10), new Estimate(1700, 1600, 1800, 10)]), ("Cable", [new Estimate(2300, 2200, 2400, 10), null])],
        ValueLabel = "page load time (ms)",
    };

    [Test]
    public void BarChart_IsWellFormedSvgWithTitleAxisLabelLegendAndEscapedText()
    {
        var svg = Parse(Bars());
        var root = svg.Root!;
        Assert.That((root.Attribute("width")!.Value, root.Attribute("height")!.Value), Is.EqualTo(("960", Bars().Height.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        var texts = Texts(svg);
        Assert.That(texts, Does.Contain("Table 1 & <friends>"));
        Assert.That(texts, Does.Contain("page load time (ms)"));
        Assert.That(texts, Does.Contain("DSL").And.Contain("Cable"), "legend");
        Assert.That(texts, Does.Contain("SPDY/3 basic single-domain"));
        Assert.That(texts, Does.Contain("3,000").And.Contain("1,700"), "value labels");
        Assert.That(texts, Does.Contain("no data"), "a missing value is said, not drawn as zero");
    }

    [Test]
    public void BarChart_OneBarPerValueAndAnErrorBarPerInterval()
    {
        using var plot = Bars().BuildPlot();
        var bars = plot.GetPlottables<ScottPlot.Plottables.BarPlot>().Single().Bars;
        Assert.That(bars.Select(b => b.Value), Is.EqualTo(new[] { 3000.0, 2300, 1700 }), "three values, the missing one not drawn as zero");
        var whiskers = plot.GetPlottables<ScottPlot.Plottables.ErrorBar>().Single();
        // Bootstrap intervals are asymmetric in general: the DSL HTTP bar's runs from 2,800 to 3,200 around 3,000.
        Assert.That(whiskers.Xs, Has.Count.EqualTo(3));
        Assert.That((whiskers.Xs[0], whiskers.XErrorNegative![0], whiskers.XErrorPositive![0]), Is.EqualTo((3000.0, 200.0, 200.0)));
        Assert.That(whiskers.Ys[0], Is.EqualTo(bars[0].Position), "the error bar sits on its bar");
    }

    [Test]
    public void BarChart_NoInterval_NoErrorBar()
    {
        var chart = new BarChart("b", "One run")
        {
            Categories = ["HTTP"],
            Series = [("DSL", [new Estimate(3000, 3000, 3000, 1)])],
            ValueLabel = "page load time (ms)",
        };
        using var plot = chart.BuildPlot();
        Assert.That(plot.GetPlottables<ScottPlot.Plottables.ErrorBar>(), Is.Empty);
    }

    [Test]
    public void ToPng_Scale_IsAPngOfTheScaledSize()
    {
        var chart = Bars();
        var (width, height) = Png.ReadSize(chart.ToPng(1.5));
        Assert.That((width, height), Is.EqualTo(((int)Math.Round(960 * 1.5), (int)Math.Round(chart.Height * 1.5))));
        Assert.That(() => chart.ToPng(5), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void LineChart_ErrorBarsPerPointAndPercentTicks()
    {
        var chart = new LineChart("lines", "Table 2")
        {
            Series = [("SPDY", [(0.0, new Estimate(0.3, 0.25, 0.35, 5)), (0.02, new Estimate(0.5, 0.45, 0.56, 5))])],
            XLabel = "packet loss rate (%)",
            YLabel = "speedup over HTTP (%)",
            XTicks = (100, "%"),
            YTicks = (100, "%"),
        };
        using (var plot = chart.BuildPlot())
        {
            var whiskers = plot.GetPlottables<ScottPlot.Plottables.ErrorBar>().Single();
            Assert.That(whiskers.YErrorNegative, Is.EqualTo(new[] { 0.05, 0.05 }).Within(1e-9));
            Assert.That(whiskers.YErrorPositive, Is.EqualTo(new[] { 0.05, 0.06 }).Within(1e-9));
        }
        var texts = Texts(Parse(chart));
        Assert.That(texts, Does.Contain("2%").And.Contain("50%"));
        Assert.That(texts, Does.Contain("packet loss rate (%)").And.Contain("speedup over HTTP (%)").And.Contain("SPDY"));
    }

    [Test]
    public void LineChart_Step_DrawsAnEmpiricalCdfWithoutErrorBars()
    {
        var chart = new LineChart("cdf", "CDF")
        {
            Series = [("SPDY", [(0.2, new Estimate(0.5, 0.5, 0.5, 2)), (0.4, new Estimate(1, 1, 1, 2))])],
            XLabel = "speedup", YLabel = "fraction of sites", Step = true,
        };
        using var plot = chart.BuildPlot();
        Assert.That(plot.GetPlottables<ScottPlot.Plottables.ErrorBar>(), Is.Empty);
        var coordinates = plot.GetPlottables<ScottPlot.Plottables.Scatter>().Single().Data.GetScatterPoints();
        Assert.That(coordinates.Select(c => (c.X, c.Y)), Is.EqualTo(new[] { (0.2, 0.0), (0.2, 0.0), (0.2, 0.5), (0.4, 0.5), (0.4, 1.0), (0.4, 1.0) }));
    }

    [Test]
    public void HarTimeline_ReadsStartsAndPhasesRelativeToTheFirstRequest()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, SyntheticResults.Har(1500, 5, new Random(1)));
            var entries = HarTimeline.Read(path);
            Assert.That(entries, Has.Count.EqualTo(5));
            Assert.That(entries[0].StartMs, Is.Zero);
            Assert.That(entries[0].Phases.Select(p => p.Phase), Is.EqualTo(new[] { "dns", "connect", "send", "wait", "receive" }));
            Assert.That(entries.Skip(1).All(e => e.StartMs > 0), Is.True);
            Assert.That(entries.Select(e => e.StartMs), Is.Ordered);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void HarTimeline_NotAHar_SaysSo()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{\"hello\": 1}");
            Assert.That(() => HarTimeline.Read(path), Throws.TypeOf<FormatException>().With.Message.Contains("not a HAR file"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void WaterfallChart_OneRowPerRequestSplitIntoPhases()
    {
        var entries = new List<WaterfallEntry>
        {
            new("http://a.com/", 0, [("connect", 40.0), ("wait", 30.0), ("receive", 100.0)]),
            new("http://a.com/style.css", 180, [("wait", 20.0), ("receive", 50.0)]),
        };
        var chart = new WaterfallChart("w", "Waterfall") { Entries = entries };
        using (var plot = chart.BuildPlot())
        {
            var bars = plot.GetPlottables<ScottPlot.Plottables.BarPlot>().Single().Bars;
            Assert.That(bars.Select(b => b.Position).Distinct().Count(), Is.EqualTo(2), "one row per request");
            Assert.That(bars.Where(b => b.Position == 0).Select(b => (b.ValueBase, b.Value)), Is.EqualTo(new[] { (0.0, 40.0), (40.0, 70.0), (70.0, 170.0) }));
            Assert.That(bars.Where(b => b.Position != 0).Select(b => b.ValueBase).First(), Is.EqualTo(180.0), "the second request starts when it started");
        }
        var texts = Texts(Parse(chart));
        Assert.That(texts, Does.Contain("a.com/").And.Contain("a.com/style.css"));
        Assert.That(texts, Does.Contain("connect").And.Contain("wait").And.Contain("receive").And.Not.Contain("dns"), "the legend names the phases drawn");
    }

    [Test]
    public void WaterfallChart_ManyRequests_DrawsTheFirstAndCountsTheRest()
    {
        var entries = Enumerable.Range(0, 80).Select(i => new WaterfallEntry($"http://a.com/{i}", i * 10, [("wait", 5.0), ("receive", 20.0)])).ToList();
        var svg = Parse(new WaterfallChart("w", "Waterfall") { Entries = entries, MaxRows = 60 });
        Assert.That(Texts(svg), Has.Some.Contains("20 more requests not drawn"));
        Assert.That(Texts(svg).Count(t => t.StartsWith("a.com/", StringComparison.Ordinal)), Is.EqualTo(60));
    }
}
