using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Charts;
using SpdyLab.Reports.Tables;
using SpdyLab.Reports.Tests.Fixtures;

namespace SpdyLab.Reports.Tests.Analysis;

/// <summary>The tables of the small fixture against the values computed by hand in <see cref="SmallFixture"/>.</summary>
public class ReportBuilderTests
{
    private static Report report = null!;

    [OneTimeSetUp]
    public static void BuildReport()
    {
        using var fixture = SmallFixture.Create();
        report = ReportGenerator.Build(fixture.Store.ReadTrials(), fixture.Store.Meta, fixture.Store.ResolveArtifact, new ReportOptions { Png = false });
    }

    private static ReportTable Table(string id) => report.AllTables.Single(t => t.Id == id);

    private static int Row(ReportTable table, params string[] cells) =>
        table.Rows.FindIndex(r => cells.All(c => r.Any(cell => cell.Display == c)));

    private static SpdyLab.Reports.Statistics.Estimate Estimate(Cell cell) => ((EstimateCell)cell).Estimate;

    [Test]
    public void Table1_HttpRow_MeanOfFourLoadsIsTheBaseline()
    {
        var table = Table("table1");
        var row = Row(table, "HTTP");
        Assert.That(Estimate(table[row, "DSL 2/0.375 Mbit/s PLT (ms)"]), Has.Property("Value").EqualTo(1500).And.Property("N").EqualTo(4));
        Assert.That(table[row, "DSL speedup"].Display, Is.EqualTo("baseline"));
    }

    [Test]
    public void Table1_SpdyRow_MeanAndPairedSpeedupMatchHandComputation()
    {
        var table = Table("table1");
        var row = Row(table, "SPDY/3.1 basic single-domain");
        Assert.That(row, Is.GreaterThanOrEqualTo(0), "row present");
        var plt = Estimate(table[row, "DSL 2/0.375 Mbit/s PLT (ms)"]);
        Assert.That((plt.Value, plt.N), Is.EqualTo((900.0, 4)), "the failed c.com trial is not averaged");
        var speedup = Estimate(table[row, "DSL speedup"]);
        Assert.That(speedup.Value, Is.EqualTo(0.40).Within(1e-9));
        Assert.That(speedup.N, Is.EqualTo(4));
        Assert.That(table[row, "DSL speedup"].Display, Does.StartWith("40.0% ["));
    }

    [Test]
    public void Table2_SpeedupAtEachLossRate_MatchesHandComputation()
    {
        var table = Table("table2");
        var speedupColumn = "SPDY/3.1 basic single-domain speedup";
        Assert.That(Estimate(table[Row(table, "1%"), speedupColumn]).Value, Is.EqualTo(1 - 1500.0 / 3000).Within(1e-9));
        Assert.That(Estimate(table[Row(table, "2%"), speedupColumn]).Value, Is.EqualTo(0.30).Within(1e-9));
        Assert.That(Estimate(table[Row(table, "2%"), "HTTP PLT (ms)"]).Value, Is.EqualTo(2500));
    }

    [Test]
    public void Table3_NoData_IsOmittedWithANote()
    {
        var section = report.Sections.Single(s => s.Id == "table3");
        Assert.That(section.Tables, Is.Empty);
        Assert.That(section.Charts, Is.Empty);
        Assert.That(section.Notes.Single(), Does.Contain("No Table 3 data").And.Contain("omitted"));
    }

    [Test]
    public void HeaderCompression_SpdySaves88PercentOfRequestAnd85OfResponseHeaderBytes()
    {
        var table = Table("headers");
        var spdy = Row(table, "SPDY/3.1 (spdy/3.1)");
        Assert.That(Estimate(table[spdy, "Requests saved"]).Value, Is.EqualTo(0.88).Within(1e-9));
        Assert.That(Estimate(table[spdy, "Responses saved"]).Value, Is.EqualTo(0.85).Within(1e-9));
        Assert.That(Estimate(table[spdy, "Request headers wire (B)"]).Value, Is.EqualTo(1200));
        Assert.That(Estimate(table[Row(table, "HTTP"), "Requests saved"]).Value, Is.Zero);
    }

    [Test]
    public void Packets_SpdyHasFortyPercentFewerThanHttp()
    {
        var table = Table("packets");
        var spdy = Row(table, "SPDY/3.1 basic single-domain");
        Assert.That(Estimate(table[spdy, "Packets"]).Value, Is.EqualTo(600));
        Assert.That(Estimate(table[spdy, "Fewer packets than HTTP"]).Value, Is.EqualTo(0.40).Within(1e-9));
        Assert.That(Estimate(table[spdy, "Fewer bytes than HTTP"]).Value, Is.EqualTo(1 - 600_000.0 / 640_000).Within(1e-9));
        Assert.That(table[Row(table, "HTTP"), "Fewer packets than HTTP"].Display, Is.EqualTo("baseline"));
    }

    [Test]
    public void PerSite_SpeedupPerSiteMatchesHandComputation()
    {
        var table = Table("per-site");
        Assert.That(Estimate(table[Row(table, "a.com"), "SPDY/3.1 basic single-domain speedup"]).Value, Is.EqualTo(1 - 1500.0 / 2200).Within(1e-9));
        Assert.That(Estimate(table[Row(table, "b.com"), "SPDY/3.1 basic single-domain speedup"]).Value, Is.EqualTo(1 - 2100.0 / 3800).Within(1e-9));
        Assert.That(Estimate(table[Row(table, "a.com"), "HTTP PLT (ms)"]).Value, Is.EqualTo(1100));
        Assert.That(Row(table, "c.com"), Is.EqualTo(-1), "a site with only failed trials has no row");
    }

    [Test]
    public void LowerBound_RatioIsTheMeanOfPerLoadRatios()
    {
        var table = Table("lower-bound");
        Assert.That(Estimate(table[Row(table, "HTTP"), "DSL PLT / lower bound"]).Value, Is.EqualTo(4).Within(1e-9));
        Assert.That(Estimate(table[Row(table, "SPDY/3.1 basic single-domain"), "DSL PLT / lower bound"]).Value, Is.EqualTo(2).Within(1e-9));
    }

    [Test]
    public void PaperVersusLab_PutsPublishedFiguresBesideTheLabsWithTheDifference()
    {
        var table = Table("paper-vs-lab");
        var http = Row(table, "HTTP: page load time", "DSL");
        Assert.That(table[http, "Paper"].Display, Is.EqualTo("3111.9"));
        Assert.That(Estimate(table[http, "Lab"]).Value, Is.EqualTo(1500));
        Assert.That(table[http, "Difference"].Display, Is.EqualTo("-1611.9 ms (-51.8%)"));

        var speedup = Row(table, "SPDY/3.1 basic single-domain: speedup over HTTP", "DSL");
        Assert.That(table[speedup, "Paper"].Display, Is.EqualTo("45.5%"));
        Assert.That(table[speedup, "Difference"].Display, Is.EqualTo("-5.5 pp"));

        var headers = Row(table, "Header compression, requests (bytes saved)");
        Assert.That(table[headers, "Difference"].Display, Is.EqualTo("0.0 pp"));
        Assert.That(table[Row(table, "Fewer packets with SPDY than with HTTP"), "Difference"].Display, Is.EqualTo("0.0 pp"));
        Assert.That(table[Row(table, "Speedup at 200 ms RTT (Table 3)"), "Lab"].Display, Is.EqualTo("no data"));
        Assert.That(table[Row(table, "SPDY single-domain + server push: page load time", "Cable"), "Lab"].Display, Is.EqualTo("no data"));
    }

    [Test]
    public void Summary_CountsFailedTrials()
    {
        Assert.That((report.Trials, report.FailedTrials), Is.EqualTo((17, 1)));
        var configurations = Table("configurations");
        Assert.That(configurations[Row(configurations, "table1", "SPDY/3.1 basic single-domain"), "Failed"].Display, Is.EqualTo("1"));
    }

    [Test]
    public void Charts_Table1BarsAndTable2LinesCarryTheEstimates()
    {
        var bars = (BarChart)report.AllCharts.Single(c => c.Id == "table1-plt");
        Assert.That(bars.Categories, Is.EqualTo(new[] { "HTTP", "SPDY/3.1 basic single-domain" }));
        Assert.That(bars.Series.Single().Values.Select(v => v!.Value), Is.EqualTo(new[] { 1500.0, 900.0 }));
        var lines = (LineChart)report.AllCharts.Single(c => c.Id == "table2-speedup");
        Assert.That(lines.Series.Single().Points.Select(p => (p.X, Math.Round(p.Y.Value, 9))), Is.EqualTo(new[] { (0.01, 0.5), (0.02, 0.3) }));
    }

    [Test]
    public void Waterfall_WithoutHar_IsOmittedWithANote()
    {
        var section = report.Sections.Single(s => s.Id == "waterfall");
        Assert.That(section.Charts, Is.Empty);
        Assert.That(section.Notes.Single(), Does.Contain("No HAR files"));
    }

    [Test]
    public void Build_EmptyDatabase_GivesNotesNotCrashes()
    {
        using var fixture = new Fixture("empty");
        var empty = ReportGenerator.Build(fixture.Store.ReadTrials(), fixture.Store.Meta, fixture.Store.ResolveArtifact, new ReportOptions { Png = false });
        Assert.That(empty.AllCharts, Is.Empty);
        Assert.That(empty.Sections.Where(s => s.Id != "paper-vs-lab").SelectMany(s => s.Notes), Is.Not.Empty);
        Assert.That(empty.AllTables.Select(t => t.Id), Is.EqualTo(new[] { "paper-vs-lab" }));
    }
}
