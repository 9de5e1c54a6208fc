using System.CommandLine;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab reproduce</c>: the whitepaper's experiment end to end (experiments/whitepaper.yaml, or
/// experiments/whitepaper-quick.yaml with --quick): Table 1 (DSL and cable, 1% loss, every row over TCP
/// and SSL), Table 2 (loss sweep on cable), Table 3 (RTT sweep on cable); header compression and packet
/// counts come from the same trials. Leaves a results database and a summary.
/// </summary>
public static class ReproduceCommand
{
    public const string FullFile = "experiments/whitepaper.yaml";
    public const string QuickFile = "experiments/whitepaper-quick.yaml";

    public static Command Create()
    {
        var shared = new ExperimentOptions();
        var quick = new Option<bool>("--quick") { Description = $"The reduced design ({QuickFile}: fewer sites and runs) that finishes in minutes" };
        var rtt = new Option<string?>("--rtt") { Description = "Table 1's (and Table 2's) RTT, which the paper does not state (default in the file: 40ms)" };
        var command = new Command("reproduce",
            "Reproduce the SPDY whitepaper's lab experiment: Table 1 (DSL and cable, 1% loss, HTTP vs SPDY rows over TCP and SSL), " +
            "Table 2 (loss sweep, cable) and Table 3 (RTT sweep, cable), with header compression and packet counts. " +
            "Writes a results database and a summary under results/.");
        command.Options.Add(quick);
        command.Options.Add(rtt);
        shared.AddTo(command);
        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var file = Path.Combine(LabPaths.RepositoryRoot, parseResult.GetValue(quick) ? QuickFile : FullFile);
            var experiment = Browser.ChromiumRows.DropIfUnavailable(ExperimentOptions.Load(file), Console.Error);
            double? rttMs = parseResult.GetValue(rtt) is { } text ? ExperimentOptions.ParseRtt("--rtt", text) : null;
            return await ExperimentOptions.RunSessionAsync("reproduce", experiment, shared.Read(parseResult, rttMs), cancellationToken);
        });
        return command;
    }
}
