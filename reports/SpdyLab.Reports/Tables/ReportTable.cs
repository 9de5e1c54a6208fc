using System.Globalization;
using SpdyLab.Reports.Statistics;

namespace SpdyLab.Reports.Tables;

/// <summary>How an estimate reads: milliseconds, a percentage (of a fraction), a difference of two percentages
/// (of a fraction: 0.03 reads "+3.0 pp"), a count, or a plain number.</summary>
public enum Unit { Milliseconds, Percent, Count, Ratio, PercentagePoints }

/// <summary>
/// One cell: text, a number, or an estimate with its interval and n. On screen an estimate reads as
/// "1695.7 [1602.3, 1790.1] n=250"; in CSV it becomes four columns (value, ci_low, ci_high, n).
/// </summary>
public abstract record Cell
{
    public static Cell Text(string text) => new TextCell(text);
    public static Cell Of(Estimate? estimate, Unit unit) => estimate is null ? new TextCell("—") : new EstimateCell(estimate, unit);
    public static Cell Number(double? value, Unit unit) => value is null ? new TextCell("—") : new NumberCell(value.Value, unit);

    public abstract string Display { get; }

    internal static string Format(double value, Unit unit) => unit switch
    {
        Unit.Milliseconds => value.ToString("0.0", CultureInfo.InvariantCulture),
        Unit.Percent => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%",
        Unit.Count => value.ToString("0.#", CultureInfo.InvariantCulture),
        Unit.PercentagePoints => (value * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + " pp",
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    internal static string Raw(double value, Unit unit) =>
        (unit is Unit.Percent or Unit.PercentagePoints ? value * 100 : value).ToString("0.####", CultureInfo.InvariantCulture);
}

public sealed record TextCell(string Value) : Cell
{
    public override string Display => Value;
}

public sealed record NumberCell(double Value, Unit Unit) : Cell
{
    public override string Display => Format(Value, Unit);
}

public sealed record EstimateCell(Estimate Estimate, Unit Unit) : Cell
{
    public string ValueText => Format(Estimate.Value, Unit);
    public string IntervalText => Estimate.N > 1
        ? $"[{Trim(Format(Estimate.Low, Unit))}, {Format(Estimate.High, Unit)}]"
        : "";
    public override string Display => $"{ValueText} {IntervalText} n={Estimate.N}".Replace("  ", " ", StringComparison.Ordinal);

    // The unit once, after the interval's high end: "[12.1, 14.0%]", "[-1.2, +3.4 pp]".
    private static string Trim(string text) => text.EndsWith(" pp", StringComparison.Ordinal) ? text[..^3] : text.TrimEnd('%');
}

/// <summary>One table of the report: a stable id (file and anchor name), a title, headers, rows, notes.</summary>
public sealed class ReportTable(string id, string title, IReadOnlyList<string> headers)
{
    public string Id { get; } = id;
    public string Title { get; } = title;
    public IReadOnlyList<string> Headers { get; } = headers;
    public List<IReadOnlyList<Cell>> Rows { get; } = [];
    /// <summary>Sentences under the table: what it is computed from, what was left out.</summary>
    public List<string> Notes { get; } = [];

    public void Add(params Cell[] row)
    {
        if (row.Length != Headers.Count)
        {
            throw new ArgumentException($"table {Id}: row has {row.Length} cells, the table {Headers.Count} columns");
        }
        Rows.Add(row);
    }

    public Cell this[int row, string header] => Rows[row][IndexOf(header)];

    public int IndexOf(string header)
    {
        for (var i = 0; i < Headers.Count; i++)
        {
            if (Headers[i] == header)
            {
                return i;
            }
        }
        throw new ArgumentException($"table {Id} has no column '{header}'; it has: {string.Join(", ", Headers)}");
    }
}
