using System.CommandLine;
using CsvHelper;
using SpdyLab.Results;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab results</c>: look into a results database (docs/results.md) and export it.
///   results info   --results FILE.db
///   results export --results FILE.db --csv FILE.csv
/// </summary>
public static class ResultsCommand
{
    public static Command Create()
    {
        var command = new Command("results", "Inspect or export an experiment's results database (schema: docs/results.md).");
        command.Subcommands.Add(CreateExport());
        command.Subcommands.Add(CreateInfo());
        return command;
    }

    private static Option<string> ResultsOption() => new("--results", "-r")
    {
        Description = "The experiment's results database (FILE.db)",
        Required = true,
    };

    private static Command CreateExport()
    {
        var results = ResultsOption();
        var csv = new Option<string>("--csv") { Description = "Write every trial, one row each, to this CSV file ('-' for standard output)", Required = true };
        var okOnly = new Option<bool>("--ok-only") { Description = "Leave out failed trials" };
        var command = new Command("export", "Export the trials table as CSV: one header row with the column names, one row per page load.");
        command.Options.Add(results);
        command.Options.Add(csv);
        command.Options.Add(okOnly);
        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            using var store = OpenStore(parseResult.GetValue(results)!);
            var trials = store.ReadTrials().Where(t => !parseResult.GetValue(okOnly) || t.IsOk).ToList();
            var target = parseResult.GetValue(csv)!;
            if (target == "-")
            {
                await WriteCsvAsync(Console.Out, trials, cancellationToken);
            }
            else
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(target));
                if (directory is not null)
                {
                    Directory.CreateDirectory(directory);
                }
                await using var writer = new StreamWriter(target);
                await WriteCsvAsync(writer, trials, cancellationToken);
                await Console.Error.WriteLineAsync($"spdylab results export: {trials.Count} trials -> {target}");
            }
            return 0;
        });
        return command;
    }

    private static Command CreateInfo()
    {
        var results = ResultsOption();
        var command = new Command("info", "Show what a results database holds: experiment, machine, schema version, trials by design and status.");
        command.Options.Add(results);
        CommandActions.SetAction(command, (parseResult, _) =>
        {
            using var store = OpenStore(parseResult.GetValue(results)!);
            foreach (var (key, value) in store.Meta.Where(m => m.Key != ResultsStore.MetaKeys.ExperimentFile))
            {
                Console.WriteLine($"{key,-16} {value}");
            }
            var trials = store.ReadTrials();
            Console.WriteLine($"{"trials",-16} {trials.Count} ({trials.Count(t => t.IsOk)} ok, {trials.Count(t => !t.IsOk)} failed)");
            foreach (var group in trials.GroupBy(t => t.Design).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var configurations = group.Select(t => (t.Link, t.Protocol, t.Transport, t.DomainMode, t.Feature, t.RttMs, t.Loss)).Distinct().Count();
                Console.WriteLine($"  {group.Key,-14} {group.Count()} trials, {group.Select(t => t.Site).Distinct().Count()} sites, {configurations} configurations");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>Opens a database for reading; a missing or unreadable file is the user's input, so exit code 2.</summary>
    internal static ResultsStore OpenStore(string path)
    {
        try
        {
            return ResultsStore.Open(path);
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"--results: '{path}' does not exist; give the .db file an experiment run wrote (e.g. results/paper.db)");
        }
        catch (ResultsFormatException e)
        {
            throw new UsageException($"--results: {e.Message}");
        }
    }

    internal static async Task WriteCsvAsync(TextWriter writer, IEnumerable<TrialRecord> trials, CancellationToken cancellationToken)
    {
        await using var csv = CsvWriter.Create(writer, null, leaveOpen: true);
        foreach (var column in TrialColumns.All)
        {
            csv.WriteField(column.Name);
        }
        await csv.EndRecordAsync(cancellationToken);
        foreach (var trial in trials)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var column in TrialColumns.All)
            {
                csv.WriteField(column.Format(trial));
            }
            await csv.EndRecordAsync(cancellationToken);
        }
        await csv.FlushAsync(cancellationToken);
    }
}
