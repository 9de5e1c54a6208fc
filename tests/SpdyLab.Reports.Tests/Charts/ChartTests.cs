using System.Xml.Linq;
using SpdyLab.Reports.Charts;
using SpdyLab.Reports.Statistics;
using SpdyLab.Reports.Tests.Fixtures;

namespace SpdyLab.Reports.Tests.Charts;

public class ChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XDocument Parse(Chart chart) => XDocument.Parse(chart.ToSvg());

    private static List<string> Texts(XDocument svg) => svg.Descendants(Svg + "text").Select(t => t.Value).ToList();

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
    public void BarChart_DrawsOneBarPerValueAndWhiskersAtTheInterval()
    {
        var svg = Parse(Bars());
        var bars = svg.Descendants(Svg + "rect").Where(r => r.Element(Svg + "title") is not null).ToList();
        Assert.That(bars, Has.Count.EqualTo(3));
        var dsl = bars.First();
        Assert.That(dsl.Element(Svg + "title")!.Value, Does.Contain("3,000").And.Contain("2,800").And.Contain("n=10"));
        // The whisker runs from the low to the high end: x(2800) < bar end x(3000) < x(3200).
        var barEnd = double.Parse(dsl.Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture)
                     + double.Parse(dsl.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        var whisker = svg.Descendants(Svg + "line").First(l => l.Attribute("stroke")!.Value == "#222" && l.Attribute("y1")!.Value == l.Attribute("y2")!.Value);
        var x1 = double.Parse(whisker.Attribute("x1")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        var x2 = double.Parse(whisker.Attribute("x2")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(x1, Is.LessThan(barEnd));
        Assert.That(x2, Is.GreaterThan(barEnd));
    }

    [Test]
    public void LineChart_HasBandsLinesAndPercentTicks()
    {
        var chart = new LineChart("lines", "Table 2")
        {
            Series = [("SPDY", [(0.0, new Estimate(0.3, 0.25, 0.35, 5)), (0.02, new Estimate(0.5, 0.45, 0.55, 5))])],
            XLabel = "packet loss rate (%)",
            YLabel = "speedup over HTTP (%)",
            XTicks = (100, "%"),
            YTicks = (100, "%"),
        };
        var svg = Parse(chart);
        Assert.That(svg.Descendants(Svg + "polygon").Count(), Is.EqualTo(1), "one confidence band");
        Assert.That(svg.Descendants(Svg + "polyline").Count(), Is.EqualTo(1), "one line");
        var texts = Texts(svg);
        Assert.That(texts, Does.Contain("2.0%").And.Contain("50%"));
        Assert.That(texts, Does.Contain("packet loss rate (%)").And.Contain("speedup over HTTP (%)"));
    }

    [Test]
    public void LinearScale_ChoosesNiceTicksCoveringTheData()
    {
        var scale = new LinearScale(0, 3111.9, 0, 100);
        Assert.That(scale.Ticks(), Is.EqualTo(new[] { 0.0, 500, 1000, 1500, 2000, 2500, 3000, 3500 }));
        Assert.That(scale[scale.Max], Is.EqualTo(100));
        Assert.That(new LinearScale(0.001, 0.029, 0, 1).Step, Is.EqualTo(0.005).Within(1e-12));
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
    public void WaterfallChart_ManyRequests_DrawsTheFirstAndCountsTheRest()
    {
        var entries = Enumerable.Range(0, 80).Select(i => new WaterfallEntry($"http://a.com/{i}", i * 10, [("wait", 5.0), ("receive", 20.0)])).ToList();
        var svg = Parse(new WaterfallChart("w", "Waterfall") { Entries = entries, MaxRows = 60 });
        Assert.That(Texts(svg), Does.Contain("… and 20 more requests (not drawn)"));
        Assert.That(Texts(svg).Count(t => t.StartsWith("a.com/", StringComparison.Ordinal)), Is.EqualTo(60));
    }
}
