using System.Text;
using SpdyLab.Reports.Analysis;
using SpdyLab.Reports.Tables;

namespace SpdyLab.Lab.Validation;

/// <summary>The table `spdylab validate` prints at the end: per link and protocol, the protocol effects per link, and the two targets.</summary>
public static class ValidationSummary
{
    public static string Render(ModelValidation validation)
    {
        var text = new StringBuilder();
        var calibration = validation.Meta.Calibration;
        text.AppendLine($"Model validation: built-in client vs Chromium, mean PLT difference (built-in − Chromium) / Chromium " +
                        (calibration is null ? "(no calibration cell named)" : $"(calibration cell: {calibration.Describe()})"));
        var rows = new List<string[]> { new[] { "link", "protocol", "cell", "sites", "median", "median |d|", "worst", "worst site", "within 10%" } };
        foreach (var group in validation.Cells.GroupBy(c => (c.Link, c.Configuration)))
        {
            var differences = group.Select(c => c.Difference.Value).ToList();
            var worst = group.MaxBy(c => Math.Abs(c.Difference.Value))!;
            rows.Add([group.Key.Link.Describe(), group.Key.Configuration.FullLabel, ReportBuilder.Role(group.First().IsCalibration),
                group.Count().ToString(System.Globalization.CultureInfo.InvariantCulture),
                Percent(ReportBuilder.Median(differences)), Percent(ReportBuilder.Median(differences.Select(Math.Abs).ToList())),
                Percent(worst.Difference.Value), worst.Site, $"{group.Count(c => c.IsWithin(ModelValidation.PltTolerance))} of {group.Count()}"]);
        }
        AppendColumns(text, rows);

        text.AppendLine().AppendLine("Protocol effect, HTTP/2 against HTTP/1.1 (PLT change, negative = faster), per link over every site:");
        rows = [["link", "cell", "built-in", "Chromium", "gap (built-in − Chromium)"]];
        foreach (var e in validation.LinkEffects)
        {
            rows.Add([e.Link.Describe(), e.HoldsCalibration is true ? "holds calibration" : ReportBuilder.Role(e.HoldsCalibration),
                Cell.Of(e.Model, Unit.Percent).Display, Cell.Of(e.Chromium, Unit.Percent).Display,
                e.Gap is not null ? Cell.Of(e.Gap, Unit.PercentagePoints).Display : Cell.Number(e.GapValue, Unit.PercentagePoints).Display]);
        }
        AppendColumns(text, rows);

        text.AppendLine().AppendLine("Targets (issue #19):");
        foreach (var scope in new[] { validation.HeldOut, validation.All }.OfType<ValidationTargets>())
        {
            text.AppendLine($"  target mean-PLT ({scope.Scope}): {scope.CellsWithin} of {scope.Cells} site x link x protocol cells within " +
                            $"{ModelValidation.PltTolerance * 100:0}% ({scope.Share * 100:0.0}%; goal >= {ModelValidation.CellShareTarget * 100:0}%): " +
                            (scope.Cells == 0 ? "no cells" : scope.PltTargetMet ? "PASS" : "FAIL"));
            IEnumerable<string> gaps = scope.LinkEffects.Count == 0 ? ["none"] : scope.LinkEffects.Select(e => $"{e.Link.Describe()} {Cell.Number(e.GapValue, Unit.PercentagePoints).Display}");
            text.AppendLine($"  target protocol-effect ({scope.Scope}): gap per link {string.Join("; ", gaps)} (goal: within " +
                            $"{ModelValidation.EffectTolerance * 100:0} pp on every link): " +
                            (scope.LinkEffects.Count == 0 ? "no links" : scope.EffectTargetMet ? "PASS" : "FAIL"));
        }
        return text.ToString();
    }

    private static string Percent(double fraction) => Cell.Number(fraction, Unit.Percent).Display;

    private static void AppendColumns(StringBuilder text, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
