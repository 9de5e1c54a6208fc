using System.Diagnostics;
using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Runner;

public sealed record RunnerOptions
{
    /// <summary>Worlds at the same time.</summary>
    public int Parallel { get; init; } = 1;
    public TimeSpan TrialTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public bool CapturePackets { get; init; }

    /// <summary>Capture every trial's packets and store their TCP evidence (docs/results.md, "Packet evidence").</summary>
    public bool PacketEvidence { get; init; } = true;

    /// <summary>Folder under which each trial gets an artifact folder (pcap, HAR).</summary>
    public string ArtifactRoot { get; init; } = "artifacts";

    /// <summary>Stop the run when this many trials in a row failed (something is broken, not the network).</summary>
    public int MaxConsecutiveFailures { get; init; } = 25;

    /// <summary>
    /// Chromium trials at the same time (the others run beside them up to <see cref="Parallel"/>). A Chromium
    /// trial launches a browser (several processes, far more CPU than a built-in load), and the two Chromium
    /// rows of a site sit in one block, so without this they usually ran in pairs; measured at -j 8 under load:
    /// Chromium PLT +70% against -j 1, built-in trials overlapping them +13-17% (docs/lab.md).
    /// </summary>
    public int ChromiumParallel { get; init; } = 1;
}

/// <summary>What a run did: counts of this session and of the whole database.</summary>
public sealed record RunOutcome(int Planned, int SkippedAsDone, int Ran, int Succeeded, int Failed, bool Interrupted, string? AbortReason, TimeSpan Elapsed);

/// <summary>
/// Runs an expanded experiment: skips trials the database already holds (resume), runs the rest in the
/// planned order on <see cref="RunnerOptions.Parallel"/> workers, records each trial as it finishes (one
/// transaction per row), and reports progress. A cancelled trial is not recorded at all, so a resumed run
/// repeats it; a trial that failed or timed out is recorded as failed, and a resumed run retries it.
/// </summary>
public sealed class TrialRunner(ITrialExecutor executor, ResultsStore store, RunnerOptions options, IRunProgress progress)
{
    private int active;

    public async Task<RunOutcome> RunAsync(IReadOnlyList<PlannedTrial> plan, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var done = store.CompletedTrialKeys();
        var pending = plan.Where(t => !done.Contains(t.Key)).ToList();
        int skipped = plan.Count - pending.Count;
        progress.Started(plan.Count, skipped, options.Parallel);
        if (pending.Count == 0)
        {
            progress.Finished();
            return new RunOutcome(plan.Count, skipped, 0, 0, 0, false, null, clock.Elapsed);
        }

        executor.CheckReady(pending);
        EnsurePoolThreads(options.Parallel);

        int next = -1, succeeded = 0, failed = 0, consecutiveFailures = 0;
        using var chromiumGate = new SemaphoreSlim(Math.Max(1, options.ChromiumParallel));
        string? abortReason = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task Worker()
        {
            while (!stop.IsCancellationRequested)
            {
                int index = Interlocked.Increment(ref next);
                if (index >= pending.Count) return;
                var trial = pending[index];
                bool chromium = trial.Client == Clients.Chromium;
                TrialRecord? record;
                if (chromium)
                {
                    try { await chromiumGate.WaitAsync(stop.Token); }
                    catch (OperationCanceledException) { return; }
                }
                try
                {
                    record = await RunOneAsync(trial, stop.Token);
                }
                finally
                {
                    if (chromium) chromiumGate.Release();
                }
                if (record is null) return; // cancelled: not recorded, a resume repeats it
                using (TrialProfile.Measure("results: record"))
                {
                    store.Record(record);
                }
                progress.TrialFinished(trial, record);
                if (record.IsOk)
                {
                    Interlocked.Increment(ref succeeded);
                    Interlocked.Exchange(ref consecutiveFailures, 0);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    if (Interlocked.Increment(ref consecutiveFailures) >= options.MaxConsecutiveFailures && abortReason is null)
                    {
                        abortReason = $"{options.MaxConsecutiveFailures} trials in a row failed; stopping. Last error: {record.Error}";
                        stop.Cancel();
                    }
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Max(1, options.Parallel)).Select(_ => Task.Run(Worker)).ToList();
        try
        {
            await Task.WhenAll(workers);
        }
        finally
        {
            await executor.CompleteAsync();
        }
        progress.Finished();
        bool interrupted = cancellationToken.IsCancellationRequested;
        return new RunOutcome(plan.Count, skipped, succeeded + failed, succeeded, failed, interrupted, abortReason, clock.Elapsed);
    }

    /// <summary>Runs one trial; null when the run was cancelled meanwhile (the trial is then not recorded).</summary>
    private async Task<TrialRecord?> RunOneAsync(PlannedTrial trial, CancellationToken cancellationToken)
    {
        var record = trial.ToRecord();
        int parallel = Interlocked.Increment(ref active);
        try
        {
            record.Parallel = parallel;
            record.StartedAt = DateTimeOffset.UtcNow;
            progress.TrialStarted(trial);
            var directory = Path.Combine(options.ArtifactRoot, ArtifactName(trial));
            var context = new TrialContext(directory, options.CapturePackets, parallel, options.TrialTimeout, options.PacketEvidence);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.TrialTimeout);
            try
            {
                await executor.RunAsync(trial, record, context, timeout.Token);
                record.Status = TrialStatus.Ok;
                record.Error = null;
                if (record.PltMs is null) Fail(record, "the executor reported no page load time");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                Fail(record, $"timed out after {options.TrialTimeout.TotalSeconds:0.#} s");
            }
            catch (Exception e)
            {
                Fail(record, $"{e.GetType().Name}: {e.Message}");
            }
            record.FinishedAt = DateTimeOffset.UtcNow;
            return record;
        }
        finally
        {
            Interlocked.Decrement(ref active);
        }
    }

    /// <summary>Pool threads the runner keeps ready per world: the client's and the server's socket work.</summary>
    public const int PoolThreadsPerWorld = 2;

    /// <summary>
    /// Raises the thread pool's minimum to <see cref="PoolThreadsPerWorld"/> per world (never lowers it). The
    /// pool starts with one thread per core (two here) and adds threads slowly when they are all busy or
    /// blocked (the runner's own blocking work is on dedicated threads, but libraries still block a pool
    /// thread now and then: process starts, SQLite, Kestrel's start and stop). Every page load's socket
    /// continuations wait in that queue. Measured with <see cref="PoolLatencyProbe"/> at -j 8 on this 2-core
    /// machine: work queued to the pool waited p99 31-75 ms (max 78-146 ms) with the default minimum, 0.7-2.5 ms
    /// (max 2-28 ms) with 16 (docs/lab.md). Idle pool threads cost nothing but memory.
    /// </summary>
    public static void EnsurePoolThreads(int parallel)
    {
        ThreadPool.GetMinThreads(out var worker, out var io);
        int wanted = Math.Max(1, parallel) * PoolThreadsPerWorld;
        if (worker < wanted) ThreadPool.SetMinThreads(wanted, io);
    }

    private static void Fail(TrialRecord record, string error)
    {
        record.Status = TrialStatus.Failed;
        record.Error = error;
    }

    /// <summary>A folder name for the trial's artifacts: readable, and unique because it ends with a hash of the key.</summary>
    public static string ArtifactName(PlannedTrial trial)
    {
        var hash = ExperimentMatrix.Mix(0, trial.Key).ToString("x16")[..10];
        var readable = $"{trial.Design}-{trial.Site}-r{trial.RunIndex}-{trial.Condition.Link.Name}-{trial.Configuration.Protocol}-{trial.Configuration.Transport}";
        readable = string.Concat(readable.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
        return $"{readable}-{hash}";
    }
}
