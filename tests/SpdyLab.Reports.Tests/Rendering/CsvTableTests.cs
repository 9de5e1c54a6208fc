using SpdyLab.Reports.Rendering;
using SpdyLab.Reports.Statistics;
using SpdyLab.Reports.Tables;

namespace SpdyLab.Reports.Tests.Rendering;

public class CsvTableTests
{
    [Test]
    public void Write_EstimateColumnsBecomeValueLowHighN_TextIsQuotedWhenNeeded()
    {
        var table = new ReportTable("t", "T", ["Row", "PLT (ms)", "Speedup"]);
        table.Add(Cell.Text("HTTP, \"plain\""), Cell.Of(new Estimate(1500, 1400, 1600, 4), Unit.Milliseconds), Cell.Text("baseline"));
        table.Add(Cell.Text("SPDY"), Cell.Of(new Estimate(900, 850, 950, 4), Unit.Milliseconds), Cell.Of(new Estimate(0.4, 0.35, 0.45, 4), Unit.Percent));
        var lines = CsvTable.Write(table).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo("Row,PLT (ms),PLT (ms) ci_low,PLT (ms) ci_high,PLT (ms) n,Speedup,Speedup ci_low,Speedup ci_high,Speedup n"));
        Assert.That(lines[1], Is.EqualTo("\"HTTP, \"\"plain\"\"\",1500,1400,1600,4,baseline,,,"));
        Assert.That(lines[2], Is.EqualTo("SPDY,900,850,950,4,40,35,45,4"));
    }

    [Test]
    public void EstimateCell_ReadsAsValueIntervalAndN()
    {
        Assert.That(Cell.Of(new Estimate(0.4551, 0.40, 0.5, 25), Unit.Percent).Display, Is.EqualTo("45.5% [40.0, 50.0%] n=25"));
        Assert.That(Cell.Of(new Estimate(1695.72, 1695.72, 1695.72, 1), Unit.Milliseconds).Display, Is.EqualTo("1695.7 n=1"));
        Assert.That(Cell.Of(null, Unit.Milliseconds).Display, Is.EqualTo("—"));
    }
}
