using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Fuzzing;

/// <summary>What one case did, and every invariant it broke.</summary>
public sealed class FuzzResult(FuzzCase fuzzCase)
{
    public FuzzCase Case { get; } = fuzzCase;

    public List<string> Failures { get; } = [];

    public Expectation? Expected { get; set; }

    public string Input { get; set; } = string.Empty;

    public int FramesSent { get; set; }

    public int FramesAnswered { get; set; }

    /// <summary>"rst", "goaway", "probe" (only the PING echo), "closed"... for the run's tally.</summary>
    public string Outcome { get; set; } = string.Empty;

    public bool Failed => Failures.Count > 0;

    public override string ToString() => Failed
        ? $"FAILED {Case}: {string.Join(" | ", Failures)}\n  expected: {Expected?.ToString() ?? "(invariants only)"}\n  input (last frames): {Input}\n  replay: scripts/fuzz.sh --replay {Case.ReplayKey}"
        : $"ok {Case}: {Outcome}";
}

/// <summary>
/// Runs one <see cref="FuzzCase"/> against a real <see cref="SpdySession"/> over in-memory pipes and checks the
/// invariants: no unhandled exception (session, read loop, application callbacks, unobserved tasks), no hang
/// (a PING sent after the input is echoed or the session closes, within <see cref="AnswerBound"/>; the session
/// ends after the peer closes; every application call returns), bounded memory (allocation per case, total
/// output), well-formed output (frames, versions, statuses, header blocks that inflate, stream ids), and, for
/// single-violation cases, the answer the spec asks for.
/// </summary>
public static class FuzzRunner
{
    public static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(5);
    public const long MaxAllocatedPerCase = 256L << 20;
    public const long MaxOutputPerCase = 32L << 20;

    private static readonly ConcurrentQueue<string> Unobserved = new();
    private static int _hooked;

    /// <summary>Unobserved task exceptions collected since the last call (each is a bug: a task faulted and nobody looked).</summary>
    public static List<string> TakeUnobserved()
    {
        var list = new List<string>();
        while (Unobserved.TryDequeue(out var item))
        {
            list.Add(item);
        }

        return list;
    }

    public static async Task<FuzzResult> RunAsync(FuzzCase fuzzCase)
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
        {
            TaskScheduler.UnobservedTaskException += (_, e) =>
            {
                // Only our types: other tests' leftovers are not this fuzzer's business.
                if (e.Exception.InnerExceptions.Any(x => x.StackTrace?.Contains("SpdyLab.Protocol", StringComparison.Ordinal) == true))
                {
                    Unobserved.Enqueue(e.Exception.ToString());
                }
            };
        }

        var result = new FuzzResult(fuzzCase);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        try
        {
            await RunCoreAsync(fuzzCase, result).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            result.Failures.Add($"the fuzz harness caught {e.GetType().Name}: {e.Message}");
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        if (allocated > MaxAllocatedPerCase)
        {
            result.Failures.Add($"allocated {allocated >> 20} MB for one case (bound {MaxAllocatedPerCase >> 20} MB)");
        }

        return result;
    }

    private static async Task RunCoreAsync(FuzzCase fuzzCase, FuzzResult result)
    {
        using var fuzzer = new FrameFuzzer(fuzzCase);
        var input = fuzzer.Build();
        result.Expected = input.Expected;
        result.FramesSent = input.Frames.Count;
        result.Input = input.Describe();
        var version = fuzzCase.Version;
        var profile = SpdyProtocolProfile.For(version);

        var toSession = new Pipe(new PipeOptions(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024, useSynchronizationContext: false));
        var fromSession = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, useSynchronizationContext: false));
        var output = new OutputChecker(version, fuzzCase.Role, fuzzer.ProbeId, result);
        var readOutput = Task.Run(() => output.ReadAllAsync(fromSession.Reader));

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var appTasks = new ConcurrentBag<Task>();
        var appFailures = new ConcurrentQueue<string>();
        using var appTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        async Task App(Func<Task> body)
        {
            try
            {
                if (input.HoldApplications)
                {
                    await release.Task.ConfigureAwait(false);
                }

                await body().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SpdyStreamResetException or SpdySessionClosedException or OperationCanceledException)
            {
                // the documented outcomes of a stream whose session is being abused
            }
            catch (Exception e)
            {
                appFailures.Enqueue($"the stream API threw {e.GetType().Name}: {e.Message}");
            }
        }

        SpdySession? sessionRef = null;
        Func<SpdyStream, Task> onPeerStream = fuzzCase.Role == SpdyRole.Server
            ? stream =>
            {
                var task = App(async () =>
                {
                    await DrainAsync(stream.Input, appTimeout.Token).ConfigureAwait(false);
                    var request = profile.ReadRequest(stream.Headers);
                    if (request.Method is null || request.Path is null || request.Host is null || request.Scheme is null || request.Version is null)
                    {
                        // spdy3 §3.2.1: a request without method, host, path, scheme and version gets 400.
                        await stream.WriteHeadersAsync(profile.CreateResponseHeaders(400), endStream: true, appTimeout.Token).ConfigureAwait(false);
                        return;
                    }

                    await stream.WriteHeadersAsync(profile.CreateResponseHeaders(200), endStream: false, appTimeout.Token).ConfigureAwait(false);
                    if (stream.Id % 3 == 0)
                    {
                        var pushed = await sessionRef!.PushAsync(stream, profile.CreatePushHeaders("https", "fuzz.test", "/pushed"), 3, appTimeout.Token).ConfigureAwait(false);
                        await pushed.WriteDataAsync(new byte[700], endStream: true, appTimeout.Token).ConfigureAwait(false);
                    }

                    await stream.WriteDataAsync(new byte[(int)((long)stream.Id * 997 % 70000)], endStream: true, appTimeout.Token).ConfigureAwait(false);
                });
                appTasks.Add(task);
                return task;
            }
        : pushed =>
            {
                var task = App(() => DrainAsync(pushed.Input, appTimeout.Token));
                appTasks.Add(task);
                return task;
            };

        var options = new SpdySessionOptions
        {
            Version = version,
            Role = fuzzCase.Role,
            MaxFrameSize = FrameFuzzer.MaxFrameSize,
            MaxHeaderBlockSize = FrameFuzzer.MaxHeaderBlockSize,
            MaxConcurrentStreams = 100,
            InitialWindowSize = FrameFuzzer.StreamWindow,
            SessionWindowSize = FrameFuzzer.SessionWindow,
            MaxQueuedControlFrames = 200,
        };
        var session = new SpdySession(new DuplexPipe(toSession.Reader, fromSession.Writer), options, onPeerStream);
        sessionRef = session;
        var run = session.RunAsync();

        if (fuzzCase.Role == SpdyRole.Client)
        {
            for (var i = 0; i < input.ClientStreams; i++)
            {
                var withBody = i == 0;
                var headers = profile.CreateRequestHeaders(new SpdyRequestHead(withBody ? "POST" : "GET", "https", "fuzz.test", $"/c{i}"));
                var stream = await session.OpenStreamAsync(headers, priority: i % (profile.LowestPriority + 1), endStream: !withBody, appTimeout.Token).ConfigureAwait(false);
                appTasks.Add(App(async () =>
                {
                    if (withBody)
                    {
                        await stream.WriteDataAsync(new byte[1000], endStream: true, appTimeout.Token).ConfigureAwait(false);
                    }

                    await stream.ResponseHeadersAsync.WaitAsync(appTimeout.Token).ConfigureAwait(false);
                    await DrainAsync(stream.Input, appTimeout.Token).ConfigureAwait(false);
                }));
            }
        }

        // Send the input in pieces of random size, so frames straddle reads.
        var splitter = new Random(fuzzCase.Seed ^ 0x5A5A5A);
        var bytes = input.Concatenated();
        var send = SendAsync(toSession.Writer, bytes, splitter);
        if (await Task.WhenAny(send, run, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false) != send && !run.IsCompleted)
        {
            result.Failures.Add($"hang: the session took no more input after {output.FramesSeen} frames out (sending {bytes.Length} bytes did not finish in 10 s)");
        }

        if (input.FramingIntact && !run.IsCompleted && send.IsCompleted)
        {
            // The probe: every input ends in an answer or a close within the bound.
            await SendAsync(toSession.Writer, PeerFrames.Ping(version, fuzzer.ProbeId), splitter).ConfigureAwait(false);
            var answered = await Task.WhenAny(output.ProbeEchoed, output.Closed, Task.Delay(AnswerBound)).ConfigureAwait(false);
            if (answered != output.ProbeEchoed && answered != output.Closed)
            {
                result.Failures.Add($"hang: no echo of the PING probe and no close within {AnswerBound.TotalSeconds} s");
            }

            if (output.SawGoAway && !output.Closed.IsCompleted)
            {
                // A GOAWAY after a session error is followed by the close; a graceful one may wait for streams.
                await Task.WhenAny(output.Closed, Task.Delay(AnswerBound)).ConfigureAwait(false);
            }
        }
        else if (!input.FramingIntact)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }

        if (input.Expected is { } expected)
        {
            // A session error is answered with GOAWAY and a close. On a loaded machine that can come after the 1 ms
            // given to broken framing above, or the session's run can end before our reader has drained its last
            // frames: wait for the close (within the same bound as every answer) before judging the answer.
            if (expected.Kind == AnswerKind.GoAway && !output.Closed.IsCompleted)
            {
                await Task.WhenAny(output.Closed, Task.Delay(AnswerBound)).ConfigureAwait(false);
            }

            output.CheckAnswer(expected);
        }

        result.FramesAnswered = output.FramesSeen;
        result.Outcome = output.Outcome;

        // End: release the applications, close our side, and everything must wind down within the bound.
        release.TrySetResult();
        toSession.Writer.Complete();
        if (await Task.WhenAny(run, Task.Delay(AnswerBound)).ConfigureAwait(false) != run)
        {
            result.Failures.Add($"hang: the session did not end within {AnswerBound.TotalSeconds} s after the peer closed");
        }
        else if (run.IsFaulted)
        {
            result.Failures.Add($"RunAsync threw {run.Exception!.InnerException!.GetType().Name}: {run.Exception.InnerException.Message}");
        }

        if (session.CloseReason is { } reason && reason is not (SpdyProtocolException or SpdySessionClosedException))
        {
            result.Failures.Add($"CloseReason is a {reason.GetType().Name}: {reason.Message}");
        }

        var dispose = session.DisposeAsync().AsTask();
        if (await Task.WhenAny(dispose, Task.Delay(AnswerBound)).ConfigureAwait(false) != dispose)
        {
            result.Failures.Add($"hang: DisposeAsync did not return within {AnswerBound.TotalSeconds} s");
        }

        var apps = Task.WhenAll(appTasks);
        if (await Task.WhenAny(apps, Task.Delay(AnswerBound)).ConfigureAwait(false) != apps)
        {
            result.Failures.Add($"hang: {appTasks.Count(t => !t.IsCompleted)} application call(s) still waiting {AnswerBound.TotalSeconds} s after the session ended");
        }

        result.Failures.AddRange(appFailures);
        if (await Task.WhenAny(readOutput, Task.Delay(AnswerBound)).ConfigureAwait(false) != readOutput)
        {
            result.Failures.Add("hang: the session never completed its output");
            fromSession.Reader.CancelPendingRead();
        }

        result.Failures.AddRange(output.Failures);

        fromSession.Reader.Complete();
        toSession.Reader.Complete();
    }

    private static async Task SendAsync(PipeWriter writer, byte[] bytes, Random splitter)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            var size = Math.Min(bytes.Length - offset, splitter.Next(4) == 0 ? 1 + splitter.Next(16) : 1 + splitter.Next(8192));
            try
            {
                var flush = await writer.WriteAsync(bytes.AsMemory(offset, size)).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return; // the session stopped reading (it closed)
                }
            }
            catch (InvalidOperationException)
            {
                return; // reader completed
            }

            offset += size;
        }
    }

    /// <summary>Reads a stream's input to its end (at most 4 MB kept moving), like an application would.</summary>
    private static async Task DrainAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                await reader.CompleteAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>Parses everything the session writes, independently of the production code, and checks it.</summary>
    private sealed class OutputChecker(SpdyVersion version, SpdyRole role, uint probeId, FuzzResult result) : IDisposable
    {
        private readonly PeerZlib _zlib = new(PeerZlib.LoadDictionary(version));
        private readonly TaskCompletionSource _probe = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<PeerFrame> _frames = new();
        private readonly ConcurrentQueue<string> _failures = new();
        private int _lastOwnStreamId;
        private long _bytes;
        private bool _zlibBroken;

        public IEnumerable<string> Failures => _failures;

        public Task ProbeEchoed => _probe.Task;

        public Task Closed => _closed.Task;

        public int FramesSeen => _frames.Count;

        public bool SawGoAway => _frames.Any(f => f.IsControl && f.Type == PeerFrame.GoAway);

        private int Wire => version == SpdyVersion.Spdy2 ? 2 : 3;

        private int MaxRst => version == SpdyVersion.Spdy2 ? 7 : 11;

        public string Outcome
        {
            get
            {
                var rst = _frames.Count(f => f.IsControl && f.Type == PeerFrame.RstStream);
                var goAway = _frames.FirstOrDefault(f => f.IsControl && f.Type == PeerFrame.GoAway);
                return goAway is not null
                    ? $"GOAWAY {(GoAwayStatus)goAway.GoAwayStatus}{(rst > 0 ? $" after {rst} RST_STREAM" : string.Empty)}"
                    : rst > 0 ? $"{rst} RST_STREAM, session alive" : _closed.Task.IsCompleted ? "closed" : "no error answer";
            }
        }

        public async Task ReadAllAsync(PipeReader reader)
        {
            try
            {
                while (true)
                {
                    var read = await reader.ReadAsync().ConfigureAwait(false);
                    var buffer = read.Buffer;
                    while (buffer.Length >= 8)
                    {
                        var header = buffer.Slice(0, 8).ToArray();
                        var length = (header[5] << 16) | (header[6] << 8) | header[7];
                        if (buffer.Length < 8 + length)
                        {
                            break;
                        }

                        var payload = buffer.Slice(8, length).ToArray();
                        buffer = buffer.Slice(8 + length);
                        _bytes += 8 + length;
                        Check(header, payload);
                    }

                    reader.AdvanceTo(buffer.Start, buffer.End);
                    if (_bytes > MaxOutputPerCase)
                    {
                        _failures.Enqueue($"the session wrote more than {MaxOutputPerCase >> 20} MB");
                        break;
                    }

                    if (read.IsCompleted || read.IsCanceled)
                    {
                        if (buffer.Length > 0 && read.IsCompleted)
                        {
                            _failures.Enqueue($"the session's output ends inside a frame ({buffer.Length} bytes left)");
                        }

                        break;
                    }
                }
            }
            finally
            {
                _closed.TrySetResult();
                Dispose();
            }
        }

        private void Check(byte[] header, byte[] payload)
        {
            var isControl = (header[0] & 0x80) != 0;
            var flags = header[4];
            if (!isControl)
            {
                var dataId = ((header[0] & 0x7F) << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
                if (dataId == 0)
                {
                    _failures.Enqueue("the session sent DATA on stream 0");
                }

                _frames.Enqueue(new PeerFrame(false, 0, 0, flags, dataId, []));
                return;
            }

            var frameVersion = ((header[0] & 0x7F) << 8) | header[1];
            var type = (header[2] << 8) | header[3];
            if (frameVersion != Wire)
            {
                _failures.Enqueue($"the session sent a control frame of version {frameVersion}");
            }

            var streamId = type is 1 or 2 or 3 or 8 or 9 && payload.Length >= 4 ? ((payload[0] & 0x7F) << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3] : 0;
            var frame = new PeerFrame(true, frameVersion, type, flags, streamId, payload);
            switch (type)
            {
                case PeerFrame.SynStream or PeerFrame.SynReply or PeerFrame.Headers:
                    if (type == PeerFrame.SynStream)
                    {
                        var ownParity = role == SpdyRole.Client ? 1 : 0;
                        if (streamId % 2 != ownParity || streamId <= _lastOwnStreamId)
                        {
                            _failures.Enqueue($"the session opened stream {streamId} after {_lastOwnStreamId} (wrong parity or order)");
                        }

                        _lastOwnStreamId = streamId;
                        if (SawGoAway)
                        {
                            _failures.Enqueue($"the session opened stream {streamId} after its GOAWAY");
                        }
                    }

                    var offset = type == PeerFrame.SynStream ? 10 : version == SpdyVersion.Spdy2 ? 6 : 4;
                    if (!_zlibBroken)
                    {
                        try
                        {
                            frame.Headers_ = PeerFrames.ParseNv(version, _zlib.Decompress(payload[offset..]));
                        }
                        catch (Exception e)
                        {
                            _zlibBroken = true;
                            _failures.Enqueue($"the session's header block does not inflate/parse: {e.Message}");
                        }
                    }

                    break;
                case PeerFrame.RstStream:
                    if (payload.Length != 8 || streamId == 0 || frame.RstStatus < 1 || frame.RstStatus > MaxRst)
                    {
                        _failures.Enqueue($"malformed RST_STREAM from the session: {frame} status {(payload.Length >= 8 ? frame.RstStatus : -1)}");
                    }

                    break;
                case PeerFrame.GoAway:
                    if (payload.Length != (version == SpdyVersion.Spdy2 ? 4 : 8) || (version != SpdyVersion.Spdy2 && frame.GoAwayStatus is < 0 or > 2))
                    {
                        _failures.Enqueue($"malformed GOAWAY from the session: {frame}");
                    }

                    if (SawGoAway)
                    {
                        _failures.Enqueue("the session sent a second GOAWAY");
                    }

                    break;
                case PeerFrame.Ping:
                    if (payload.Length == 4 && (uint)frame.Int32At(0) == probeId)
                    {
                        _probe.TrySetResult();
                    }

                    break;
            }

            _frames.Enqueue(frame);
        }

        /// <summary>Single-violation cases: the output must hold the spec's answer and nothing else of the kind.</summary>
        public void CheckAnswer(Expectation expected)
        {
            var frames = _frames.ToList();
            var rsts = frames.Where(f => f.IsControl && f.Type == PeerFrame.RstStream).ToList();
            var goAway = frames.FirstOrDefault(f => f.IsControl && f.Type == PeerFrame.GoAway);
            string Show() => $"saw {(rsts.Count == 0 ? "no RST_STREAM" : string.Join(", ", rsts.Select(r => $"RST_STREAM {r.StreamId} {(RstStatus)r.RstStatus}")))}"
                + $"{(goAway is null ? ", no GOAWAY" : $", GOAWAY {(GoAwayStatus)goAway.GoAwayStatus}")}, probe {(_probe.Task.IsCompleted ? "echoed" : "not echoed")}";
            bool GoAwayIs(GoAwayStatus status) => goAway is not null && (version == SpdyVersion.Spdy2 || goAway.GoAwayStatus == (int)status);
            bool IsRst(PeerFrame f, int id, RstStatus status) => f.StreamId == id && f.RstStatus == (int)status;
            var tooLarge = version == SpdyVersion.Spdy2 ? RstStatus.ProtocolError : RstStatus.FrameTooLarge;
            var ok = expected.Kind switch
            {
                AnswerKind.Nothing => rsts.Count == 0 && goAway is null && _probe.Task.IsCompleted,
                AnswerKind.Rst => rsts.Count == 1 && IsRst(rsts[0], expected.StreamId, expected.RstStatus) && goAway is null && _probe.Task.IsCompleted,
                AnswerKind.GoAway => GoAwayIs(expected.GoAwayStatus) && rsts.All(r => r.RstStatus == (int)tooLarge) && rsts.Count <= 1,
                AnswerKind.Any => true,
                _ => (rsts.Count == 1 && IsRst(rsts[0], expected.StreamId, RstStatus.ProtocolError) && goAway is null && _probe.Task.IsCompleted)
                    || (GoAwayIs(GoAwayStatus.ProtocolError) && rsts.All(r => r.RstStatus == (int)tooLarge) && rsts.Count <= 1),
            };
            if (!ok)
            {
                result.Failures.Add($"wrong answer: expected {expected}; {Show()}");
            }
        }

        public void Dispose() => _zlib.Dispose();
    }
}
