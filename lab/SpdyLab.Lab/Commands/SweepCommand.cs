using System.CommandLine;

namespace SpdyLab.Lab.Commands;

/// <summary><c>spdylab sweep FILE</c>: runs any experiment file (format: docs/lab.md).</summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var shared = new ExperimentOptions();
        var file = new Argument<string>("file") { Description = "Experiment file (YAML; format in docs/lab.md, examples in experiments/)" };
        var rtt = new Option<string?>("--rtt") { Description = "The experiment's default RTT (for links and designs that name none)" };
        var command = new Command("sweep", "Run an experiment file: every design block's links x RTTs x losses x configurations, on its sites, for its runs.");
        command.Arguments.Add(file);
        command.Options.Add(rtt);
        shared.AddTo(command);
        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var experiment = ExperimentOptions.Load(parseResult.GetValue(file)!);
            double? rttMs = parseResult.GetValue(rtt) is { } text ? ExperimentOptions.ParseRtt("--rtt", text) : null;
            return await ExperimentOptions.RunSessionAsync("sweep", experiment, shared.Read(parseResult, rttMs), cancellationToken);
        });
        return command;
    }
}
