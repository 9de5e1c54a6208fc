using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Runner;

/// <summary>What the runner tells an executor about the trial's surroundings.</summary>
/// <param name="ArtifactDirectory">Folder for this trial's artifacts (pcap, HAR); the executor creates it if it writes any.</param>
/// <param name="CapturePackets">Keep a pcap of the trial.</param>
/// <param name="Parallel">Worlds running at the same time as this one, itself included.</param>
/// <param name="TrialTimeout">When the runner gives up on the trial (the token fires then).</param>
/// <param name="PacketEvidence">Capture the trial's packets and store their TCP evidence (packets, connections,
/// retransmissions, recoveries) in the record; the capture files are deleted afterwards unless <paramref name="CapturePackets"/>.</param>
public sealed record TrialContext(string ArtifactDirectory, bool CapturePackets, int Parallel, TimeSpan TrialTimeout, bool PacketEvidence = false);

/// <summary>
/// Runs one page load. The real one builds a World (emulator), starts the replay server in its server
/// namespace and the client in its client namespace; tests use fakes. The runner owns everything else:
/// order, parallelism, timeouts, the results database, resume and progress.
/// </summary>
public interface ITrialExecutor
{
    /// <summary>Checked once before the first trial (privileges, programs, site files): a problem here stops the run with a clear message.</summary>
    void CheckReady(IReadOnlyList<PlannedTrial> trials);

    /// <summary>
    /// Runs the trial and fills the record's metrics and link counters (identity and parameters are already set).
    /// Throws when the page load failed; the runner records the trial as failed with the message. When
    /// <paramref name="cancellationToken"/> fires, stops promptly and leaves nothing behind.
    /// </summary>
    Task RunAsync(PlannedTrial trial, TrialRecord record, TrialContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Called once when the run ends (finished, aborted or cancelled): finishes work the executor left in
    /// the background (worlds being torn down), so nothing is left behind when the run returns.
    /// </summary>
    Task CompleteAsync() => Task.CompletedTask;
}
