using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Runner;

/// <summary>Chooses the executor the CLI uses for real runs.</summary>
public static class TrialExecutors
{
    public static ITrialExecutor CreateDefault() => new UnavailableExecutor(
        "running trials needs the emulator's World (network namespaces + TUN) and the page loader (spdylab load); " +
        "they are not on main yet. Use --dry-run to see the plan.");

    /// <summary>Refuses to run, with the reason: used while a part the real executor needs is missing.</summary>
    private sealed class UnavailableExecutor(string reason) : ITrialExecutor
    {
        public void CheckReady(IReadOnlyList<PlannedTrial> trials) => throw new InvalidOperationException(reason);

        public Task RunAsync(PlannedTrial trial, TrialRecord record, TrialContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException(reason);
    }
}
