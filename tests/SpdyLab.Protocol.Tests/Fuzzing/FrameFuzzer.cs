using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Fuzzing;

/// <summary>The answer a <see cref="FuzzMode.SingleViolation"/> case calls for.</summary>
public enum AnswerKind
{
    /// <summary>No RST_STREAM, no GOAWAY: the session reads on (and echoes the PING probe).</summary>
    Nothing,

    /// <summary>RST_STREAM(stream, status); the session reads on.</summary>
    Rst,

    /// <summary>GOAWAY(status), then close (an RST_STREAM of the offending stream may precede it).</summary>
    GoAway,

    /// <summary>RST_STREAM PROTOCOL_ERROR of the stream or GOAWAY PROTOCOL_ERROR (corrupt zlib that may inflate).</summary>
    RstOrGoAway,

    /// <summary>Unknowable from the input alone (a flipped bit inside deflate data may still inflate to a valid block): invariants only.</summary>
    Any,
}

public sealed record Expectation(AnswerKind Kind, string Violation, int StreamId = 0, RstStatus RstStatus = RstStatus.ProtocolError,
    GoAwayStatus GoAwayStatus = GoAwayStatus.ProtocolError)
{
    public override string ToString() => Kind switch
    {
        AnswerKind.Rst => $"{Violation} -> RST_STREAM {StreamId} {RstStatus}",
        AnswerKind.GoAway => $"{Violation} -> GOAWAY {GoAwayStatus}",
        AnswerKind.RstOrGoAway => $"{Violation} -> RST_STREAM {StreamId} PROTOCOL_ERROR or GOAWAY PROTOCOL_ERROR",
        _ => $"{Violation} -> nothing",
    };
}

/// <summary>The bytes a case sends and what the runner may assume about them.</summary>
public sealed class FuzzInput
{
    public List<(byte[] Bytes, string What)> Frames { get; } = [];

    /// <summary>Every frame is whole and its length field is true, so a PING sent after it must be answered.</summary>
    public bool FramingIntact { get; set; } = true;

    public Expectation? Expected { get; set; }

    /// <summary>Client role: streams the session opens before the input (ids 1, 3, ...); stream 1 keeps its request body open.</summary>
    public int ClientStreams { get; set; }

    /// <summary>Applications hold (no reply, no reading) until the case ends, so stream state follows the input only.</summary>
    public bool HoldApplications { get; set; }

    public byte[] Concatenated() => Frames.SelectMany(f => f.Bytes).ToArray();

    public string Describe(int last = 12) => string.Join("; ", Frames.TakeLast(last).Select(f => f.What));
}

/// <summary>
/// Builds a case's input from its seed: frames of every type and version, built from the spec's diagrams by the
/// test peer's own code (<see cref="PeerFrames"/>), with header blocks from <see cref="HeaderBlockFuzzer"/>.
/// A small model of the peer's streams keeps the valid parts valid, so a single injected violation has a known answer.
/// </summary>
internal sealed class FrameFuzzer : IDisposable
{
    public const int MaxFrameSize = 32768;
    public const int MaxHeaderBlockSize = 32768;
    public const int StreamWindow = 65536;
    public const int SessionWindow = 1 << 20;
    public const uint ProbePingId = 0x7FFFFF01; // odd: a client's id; the client-role case uses ProbePingId + 1

    private readonly FuzzCase _case;
    private readonly Random _random;
    private readonly PeerZlib _zlib;
    private readonly HeaderBlockFuzzer _blocks;
    private readonly SpdyVersion _v;
    private readonly int _wire;

    // The model, as the peer sees it.
    private readonly List<int> _open = [];          // streams the peer may still send on (no FIN from the peer)
    private readonly List<int> _peerFinished = [];   // streams still open on the session's side after the peer's FIN
    private readonly List<int> _closed = [];         // gone from the session's table (both sides finished)
    private readonly List<int> _replied = [];        // client role: our streams that got a SYN_REPLY
    private readonly Dictionary<int, int> _dataSent = []; // DATA bytes per stream (flow control)
    private int _lastPeerStreamId;
    private int _nextPeerStreamId;

    public FrameFuzzer(FuzzCase fuzzCase)
    {
        _case = fuzzCase;
        _random = new Random(fuzzCase.Seed);
        _v = fuzzCase.Version;
        _wire = PeerFrames.Wire(_v);
        _zlib = new PeerZlib(PeerZlib.LoadDictionary(_v));
        _blocks = new HeaderBlockFuzzer(_v, _zlib, MaxHeaderBlockSize);
        _nextPeerStreamId = IsServer ? 1 : 2;
    }

    private bool IsServer => _case.Role == SpdyRole.Server; // the session's role; the peer is the other one

    private bool Is2 => _v == SpdyVersion.Spdy2;

    private bool HasFlowControl => _v != SpdyVersion.Spdy2;

    public uint ProbeId => IsServer ? ProbePingId : ProbePingId + 1;

    public FuzzInput Build()
    {
        var input = new FuzzInput();
        if (!IsServer)
        {
            input.ClientStreams = 1 + _random.Next(4);
            for (var i = 0; i < input.ClientStreams; i++)
            {
                _open.Add(1 + 2 * i); // the session's requests: the peer (server) may reply on them
            }
        }

        switch (_case.Mode)
        {
            case FuzzMode.RandomFrames:
                for (var n = 1 + _random.Next(40); n > 0; n--)
                {
                    input.Frames.Add(RandomFrame());
                }

                break;
            case FuzzMode.MutatedConversation:
                ValidPrefix(input, 4 + _random.Next(12));
                Mutate(input);
                break;
            default:
                input.HoldApplications = true;
                ValidPrefix(input, _random.Next(8));
                input.Expected = Violation(input);
                break;
        }

        return input;
    }

    // ------------------------------------------------------------------ valid conversation

    private (string, string)[] RequestHeaders(string path) => Is2
        ? [("method", _random.Next(2) == 0 ? "GET" : "POST"), ("url", path), ("version", "HTTP/1.1"), ("host", "fuzz.test"), ("scheme", "https"), ("user-agent", "fuzz")]
        : [(":method", _random.Next(2) == 0 ? "GET" : "POST"), (":path", path), (":version", "HTTP/1.1"), (":host", "fuzz.test"), (":scheme", "https"), ("user-agent", "fuzz")];

    private (string, string)[] ResponseHeaders() => Is2
        ? [("status", "200 OK"), ("version", "HTTP/1.1"), ("content-type", "text/plain")]
        : [(":status", "200 OK"), (":version", "HTTP/1.1"), ("content-type", "text/plain")];

    private (string, string)[] PushHeaders(string path) => Is2
        ? [("url", $"https://fuzz.test{path}"), ("status", "200 OK"), ("version", "HTTP/1.1")]
        : [(":scheme", "https"), (":host", "fuzz.test"), (":path", path), (":status", "200 OK"), (":version", "HTTP/1.1")];

    private bool HasPushUrl(IReadOnlyList<string> names) => Is2 ? names.Contains("url") : names.Contains(":scheme") && names.Contains(":host") && names.Contains(":path");

    private int NextPeerId()
    {
        var id = _nextPeerStreamId;
        _nextPeerStreamId += 2 * (1 + (_random.Next(4) == 0 ? _random.Next(5) : 0));
        _lastPeerStreamId = id;
        return id;
    }

    /// <summary>Frames a well-behaved peer may send in the model's state; updates the model.</summary>
    private void ValidPrefix(FuzzInput input, int count)
    {
        if (_random.Next(2) == 0)
        {
            input.Frames.Add((PeerFrames.Settings(_v, 0, (4, 0, 100u), (7, 0, (uint)StreamWindow)), "SETTINGS"));
        }

        for (var i = 0; i < count; i++)
        {
            var frame = ValidFrame();
            if (frame is { } f)
            {
                input.Frames.Add(f);
            }
        }
    }

    private (byte[], string)? ValidFrame()
    {
        switch (_random.Next(7))
        {
            case 0 when IsServer && _lastPeerStreamId < 40:
            {
                var id = NextPeerId();
                var fin = _random.Next(2) == 0;
                var frame = PeerFrames.SynStream(_v, id, 0, _random.Next(Is2 ? 4 : 8), fin ? SpdyFlags.Fin : 0, _blocks.Valid(RequestHeaders($"/r{id}")).Compressed);
                (fin ? _peerFinished : _open).Add(id);
                return (frame, $"SYN_STREAM {id}{(fin ? " FIN" : string.Empty)}");
            }

            case 0 when !IsServer && _lastPeerStreamId < 40:
            {
                // A push associated with one of our streams that got its SYN_REPLY and is still open.
                var associated = _replied.Where(_open.Contains).ToList();
                if (associated.Count == 0)
                {
                    return null;
                }

                var id = NextPeerId();
                var fin = _random.Next(3) == 0;
                var frame = PeerFrames.SynStream(_v, id, associated[_random.Next(associated.Count)], _random.Next(Is2 ? 4 : 8),
                    SpdyFlags.Unidirectional | (fin ? SpdyFlags.Fin : 0), _blocks.Valid(PushHeaders($"/p{id}")).Compressed);
                (fin ? _closed : _open).Add(id);
                return (frame, $"push SYN_STREAM {id}{(fin ? " FIN" : string.Empty)}");
            }

            case 1 when !IsServer:
            {
                var candidates = _open.Where(id => id % 2 == 1 && !_replied.Contains(id)).ToList();
                if (candidates.Count == 0)
                {
                    return null;
                }

                var id = candidates[_random.Next(candidates.Count)];
                var fin = id != 1 && _random.Next(4) == 0; // stream 1 keeps our body open: a FIN would only half-close it
                _replied.Add(id);
                Finish(id, fin);
                return (PeerFrames.SynReply(_v, id, fin ? SpdyFlags.Fin : 0, _blocks.Valid(ResponseHeaders()).Compressed), $"SYN_REPLY {id}{(fin ? " FIN" : string.Empty)}");
            }

            case 2:
            {
                var candidates = SendableData();
                if (candidates.Count == 0)
                {
                    return null;
                }

                var id = candidates[_random.Next(candidates.Count)];
                var length = _random.Next(2000);
                if (HasFlowControl && _dataSent.GetValueOrDefault(id) + length > StreamWindow / 2)
                {
                    return null;
                }

                _dataSent[id] = _dataSent.GetValueOrDefault(id) + length;
                var fin = _random.Next(4) == 0;
                Finish(id, fin);
                return (PeerFrames.Data(id, fin ? SpdyFlags.Fin : 0, HeaderBlockFuzzer.RandomBytes(_random, length)), $"DATA {id} {length} B{(fin ? " FIN" : string.Empty)}");
            }

            case 3:
                var pingId = (uint)(2 * _random.Next(1000) + (IsServer ? 1 : 2));
                return (PeerFrames.Ping(_v, pingId), $"PING {pingId}");
            case 4 when HasFlowControl && StreamsWeSendOn().Count > 0:
            {
                var candidates = StreamsWeSendOn();
                var id = candidates[_random.Next(candidates.Count)];
                var delta = 1 + _random.Next(100000);
                return (PeerFrames.WindowUpdate(_v, id, delta), $"WINDOW_UPDATE {id} +{delta}");
            }

            case 5:
            {
                var candidates = SendableData().Where(id => IsServer || _replied.Contains(id)).ToList();
                if (candidates.Count == 0)
                {
                    return null;
                }

                var id = candidates[_random.Next(candidates.Count)];
                var fin = _random.Next(4) == 0;
                Finish(id, fin);
                return (PeerFrames.Headers(_v, id, fin ? SpdyFlags.Fin : 0, _blocks.Valid([("x-fuzz", "1")]).Compressed), $"HEADERS {id}{(fin ? " FIN" : string.Empty)}");
            }

            default:
                return (PeerFrames.Settings(_v, 0, (4, 0, (uint)(10 + _random.Next(100)))), "SETTINGS MAX_CONCURRENT_STREAMS");
        }
    }

    /// <summary>Streams the peer may send DATA on: open on its side and (client role) replied.</summary>
    private List<int> SendableData() => _open.Where(id => IsServer ? true : (id % 2 == 0 || _replied.Contains(id))).ToList();

    /// <summary>Streams on which the session still sends (its window matters): server role = the peer's requests (held, unanswered);
    /// client role = stream 1, whose request body is held open.</summary>
    private List<int> StreamsWeSendOn() => IsServer
        ? _open.Concat(_peerFinished).ToList()
        : _open.Concat(_peerFinished).Where(id => id == 1).ToList();

    private void Finish(int id, bool fin)
    {
        if (!fin)
        {
            return;
        }

        _open.Remove(id);
        // Server role: the request is answered only when the application is released, so the stream stays.
        // Client role: our streams other than 1 were opened with FIN, so the peer's FIN closes them.
        if (IsServer || id == 1)
        {
            _peerFinished.Add(id);
        }
        else
        {
            _closed.Add(id);
        }
    }

    // ------------------------------------------------------------------ one violation with a known answer

    private Expectation Violation(FuzzInput input)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var expectation = TryViolation(input, _random.Next(32));
            if (expectation is not null)
            {
                return expectation;
            }
        }

        input.Frames.Add((PeerFrames.Ping(_v, 0x7FFF0000), "PING of the session's parity, never sent"));
        return new Expectation(AnswerKind.Nothing, "PING with an unknown id of the session's parity");
    }

    private static RstStatus V2(RstStatus status, SpdyVersion v) => v == SpdyVersion.Spdy2 && status > RstStatus.FlowControlError ? RstStatus.ProtocolError : status;

    private Expectation Rst(int id, RstStatus status, string what) => new(AnswerKind.Rst, what, id, V2(status, _v));

    private static Expectation GoAway(string what) => new(AnswerKind.GoAway, what);

    private static Expectation Nothing(string what) => new(AnswerKind.Nothing, what);

    private Expectation ForBlock(FuzzBlock block, int streamId, string frame, Func<Expectation> whenAccepted) => block.Verdict switch
    {
        BlockVerdict.StreamError => Rst(streamId, RstStatus.ProtocolError, $"{frame} with {block.Description}"),
        BlockVerdict.SessionError => GoAway($"{frame} with {block.Description}"),
        BlockVerdict.StreamOrSessionError => new Expectation(AnswerKind.RstOrGoAway, $"{frame} with {block.Description}", streamId),
        BlockVerdict.Unknown => new Expectation(AnswerKind.Any, $"{frame} with {block.Description}", streamId),
        _ => whenAccepted(),
    };

    private int Pick(List<int> ids) => ids[_random.Next(ids.Count)];

    private Expectation? TryViolation(FuzzInput input, int which)
    {
        void Add(byte[] bytes, string what) => input.Frames.Add((bytes, what));
        var next = _nextPeerStreamId;
        var ownParityId = IsServer ? 2 * (1 + _random.Next(50)) : 2 * _random.Next(50) + 101; // the session's parity, never opened by it
        switch (which)
        {
            case 0:
                Add(PeerFrames.SynStream(_v, 0, IsServer ? 0 : 1, 0, IsServer ? 0 : SpdyFlags.Unidirectional, _blocks.Valid(IsServer ? RequestHeaders("/") : PushHeaders("/")).Compressed), "SYN_STREAM 0");
                return GoAway("SYN_STREAM with stream id 0");
            case 1:
                Add(PeerFrames.SynStream(_v, ownParityId, 0, 0, 0, _blocks.Valid(RequestHeaders("/")).Compressed), $"SYN_STREAM {ownParityId}");
                return GoAway("SYN_STREAM with the session's own stream-id parity");
            case 2 when _lastPeerStreamId > 2:
            {
                // A lower id: a stream still in the session's table is a duplicate (stream error); a gap is a session error.
                var lower = _lastPeerStreamId - 2 * (1 + _random.Next(_lastPeerStreamId / 2));
                if (lower <= 0)
                {
                    return null;
                }

                var duplicate = _open.Contains(lower) || (IsServer && _peerFinished.Contains(lower));
                var headers = IsServer ? RequestHeaders("/") : PushHeaders("/");
                var assoc = IsServer ? 0 : _replied.Where(_open.Contains).DefaultIfEmpty(1).First();
                Add(PeerFrames.SynStream(_v, lower, assoc, 0, IsServer ? 0 : SpdyFlags.Unidirectional, _blocks.Valid(headers).Compressed), $"SYN_STREAM {lower} after {_lastPeerStreamId}");
                return duplicate ? Rst(lower, RstStatus.ProtocolError, "second SYN_STREAM for an open stream") : GoAway("SYN_STREAM id lower than an earlier one");
            }

            case 3 when IsServer:
                Add(PeerFrames.SynStream(_v, next, 1, 0, 0, _blocks.Valid(RequestHeaders("/")).Compressed), $"SYN_STREAM {next} assoc 1");
                return Rst(next, RstStatus.ProtocolError, "client SYN_STREAM with an Associated-To-Stream-ID");
            case 3:
                Add(PeerFrames.SynStream(_v, next, 0, 0, SpdyFlags.Unidirectional, _blocks.Valid(PushHeaders("/x")).Compressed), $"push {next} assoc 0");
                return Rst(next, RstStatus.ProtocolError, "server stream without Associated-To-Stream-ID");
            case 4:
            {
                // A new stream whose header block is fuzzed (valid zlib with bad contents, or bad zlib).
                var id = next;
                if (IsServer)
                {
                    var block = _blocks.Make(_random, RequestHeaders($"/b{id}"));
                    Add(PeerFrames.SynStream(_v, id, 0, 0, SpdyFlags.Fin, block.Compressed), $"SYN_STREAM {id} ({block.Description})");
                    return ForBlock(block, id, "SYN_STREAM", () => Nothing($"SYN_STREAM with {block.Description}"));
                }
                else
                {
                    var associated = _replied.Where(_open.Contains).ToList();
                    if (associated.Count == 0)
                    {
                        return null;
                    }

                    var block = _blocks.Make(_random, PushHeaders($"/b{id}"));
                    Add(PeerFrames.SynStream(_v, id, Pick(associated), 0, SpdyFlags.Unidirectional, block.Compressed), $"push {id} ({block.Description})");
                    return ForBlock(block, id, "pushed SYN_STREAM", () => HasPushUrl(block.Names)
                        ? Nothing($"pushed SYN_STREAM with {block.Description}")
                        : Rst(id, RstStatus.ProtocolError, $"pushed SYN_STREAM with {block.Description} (no URL)"));
                }
            }

            case 5:
                Add(PeerFrames.Data(0, 0, new byte[10]), "DATA 0");
                return GoAway("DATA on stream 0");
            case 6:
            {
                var id = IsServer ? next : 201; // never opened by anyone
                Add(PeerFrames.Data(id, 0, new byte[10]), $"DATA {id}");
                return Rst(id, RstStatus.InvalidStream, "DATA for a stream never opened");
            }

            case 7 when _peerFinished.Count > 0:
            {
                var id = Pick(_peerFinished);
                Add(PeerFrames.Data(id, 0, new byte[10]), $"DATA {id} after FIN");
                return Rst(id, RstStatus.StreamAlreadyClosed, "DATA after the peer's FIN");
            }

            case 8 when HasFlowControl && SendableData().Count > 0:
            {
                var id = Pick(SendableData());
                var sent = _dataSent.GetValueOrDefault(id);
                while (sent <= StreamWindow)
                {
                    Add(PeerFrames.Data(id, 0, new byte[16384]), $"DATA {id} 16384 B");
                    sent += 16384;
                }

                return Rst(id, RstStatus.FlowControlError, $"DATA beyond the stream window ({sent} > {StreamWindow})");
            }

            case 9 when HasFlowControl && StreamsWeSendOn().Count > 0:
            {
                var id = Pick(StreamsWeSendOn());
                Add(PeerFrames.WindowUpdate(_v, id, 0), $"WINDOW_UPDATE {id} +0");
                return Rst(id, RstStatus.ProtocolError, "WINDOW_UPDATE with delta 0");
            }

            case 10 when HasFlowControl && StreamsWeSendOn().Count > 0:
            {
                var id = Pick(StreamsWeSendOn());
                Add(PeerFrames.WindowUpdate(_v, id, 0x7FFFFFFF), $"WINDOW_UPDATE {id} +2^31-1");
                return Rst(id, RstStatus.FlowControlError, "WINDOW_UPDATE pushing a stream window past 2^31-1");
            }

            case 11 when HasFlowControl:
            {
                var zero = _random.Next(2) == 0;
                Add(PeerFrames.WindowUpdate(_v, 0, zero ? 0 : 0x7FFFFFFF), $"WINDOW_UPDATE 0 {(zero ? "+0" : "+2^31-1")}");
                return _v == SpdyVersion.Spdy31
                    ? GoAway(zero ? "session WINDOW_UPDATE with delta 0" : "session window past 2^31-1")
                    : Nothing("WINDOW_UPDATE on stream 0 in SPDY/3");
            }

            case 12:
            {
                var (type, length, name) = _random.Next(5) switch
                {
                    0 => (3, _random.Next(2) == 0 ? 4 : 12, "RST_STREAM"),
                    1 => (6, _random.Next(2) == 0 ? 0 : 8, "PING"),
                    2 => (7, Is2 ? 6 : 4, "GOAWAY"), // SPDY/2 also takes 8 (node-spdy writes a status)
                    3 => (9, 4, "WINDOW_UPDATE"),
                    _ => (4, 12, "SETTINGS"), // count 1 says 12 bytes, we send count 5
                };
                if (type == 9 && Is2)
                {
                    return null;
                }

                var payload = new byte[length];
                if (type == 4)
                {
                    payload[3] = 5;
                }
                else if (type is 3 or 9 && length >= 4)
                {
                    payload[3] = 1;
                }

                Add(PeerFrames.Control(_wire, type, 0, payload), $"{name} with length {length}");
                return GoAway($"{name} with a wrong length");
            }

            case 13:
            {
                var otherVersion = Is2 ? 3 : (_random.Next(2) == 0 ? 2 : 4);
                if (_random.Next(2) == 0)
                {
                    var id = IsServer ? next : next; // the peer's parity
                    var payload = new List<byte>();
                    PeerFrames.Put32(payload, id);
                    PeerFrames.Put32(payload, 0);
                    payload.AddRange(HeaderBlockFuzzer.RandomBytes(_random, 2 + _random.Next(40)));
                    Add(PeerFrames.Control(otherVersion, 1, 0, payload), $"SYN_STREAM {id} of version {otherVersion}");
                    return Rst(id, RstStatus.UnsupportedVersion, "SYN_STREAM of another version");
                }

                var ping = new List<byte>();
                PeerFrames.Put32(ping, 1);
                Add(PeerFrames.Control(otherVersion, 6, 0, ping), $"PING of version {otherVersion}");
                return GoAway("control frame (PING) of another version");
            }

            case 14:
            {
                // Longer than MaxFrameSize: DATA on an open stream, or a SYN_STREAM.
                var length = MaxFrameSize + 1 + _random.Next(10000);
                if (_random.Next(2) == 0 && SendableData().Count > 0)
                {
                    var id = Pick(SendableData());
                    Add(PeerFrames.Data(id, 0, new byte[length]), $"DATA {id} of {length} B");
                }
                else
                {
                    var payload = new List<byte>();
                    PeerFrames.Put32(payload, next);
                    PeerFrames.Put32(payload, 0);
                    payload.AddRange(new byte[length - 8]);
                    Add(PeerFrames.Control(_wire, 1, 0, payload), $"SYN_STREAM {next} of {length} B");
                }

                return GoAway("frame longer than MaxFrameSize");
            }

            case 15:
            {
                var types = new List<int> { 11, 12, 100, 0xFFFF, 0 };
                if (Is2)
                {
                    types.Add(9); // WINDOW_UPDATE does not exist in SPDY/2
                    types.Add(5); // NOOP
                }

                if (_v == SpdyVersion.Spdy31)
                {
                    types.Add(10); // CREDENTIAL is gone in 3.1
                }

                var type = types[_random.Next(types.Count)];
                Add(PeerFrames.Control(_wire, type, _random.Next(256), HeaderBlockFuzzer.RandomBytes(_random, type == 5 ? 0 : _random.Next(100))), $"control type {type}");
                return Nothing($"unknown control frame type {type}");
            }

            case 16 when !IsServer && _replied.Any(_open.Contains):
            {
                var id = Pick(_replied.Where(_open.Contains).ToList());
                Add(PeerFrames.SynReply(_v, id, 0, _blocks.Valid(ResponseHeaders()).Compressed), $"second SYN_REPLY {id}");
                return Rst(id, RstStatus.StreamInUse, "second SYN_REPLY");
            }

            case 16 when IsServer && _open.Concat(_peerFinished).Any():
            {
                var id = Pick(_open.Concat(_peerFinished).ToList());
                Add(PeerFrames.SynReply(_v, id, 0, _blocks.Valid(ResponseHeaders()).Compressed), $"SYN_REPLY {id} from the client");
                return Rst(id, RstStatus.ProtocolError, "SYN_REPLY on a stream the peer opened");
            }

            case 17:
            {
                var id = IsServer ? ownParityId : 201;
                var isHeaders = _random.Next(2) == 0;
                var block = _blocks.Valid(isHeaders ? [("x-a", "b")] : ResponseHeaders()).Compressed;
                Add(isHeaders ? PeerFrames.Headers(_v, id, 0, block) : PeerFrames.SynReply(_v, id, 0, block), $"{(isHeaders ? "HEADERS" : "SYN_REPLY")} {id}");
                return Rst(id, RstStatus.InvalidStream, $"{(isHeaders ? "HEADERS" : "SYN_REPLY")} for a stream that is not open");
            }

            case 18 when _peerFinished.Count > 0:
            {
                var id = Pick(_peerFinished);
                Add(PeerFrames.Headers(_v, id, 0, _blocks.Valid([("x-late", "1")]).Compressed), $"HEADERS {id} after FIN");
                return Rst(id, RstStatus.StreamAlreadyClosed, "HEADERS after the peer's FIN");
            }

            case 19 when !IsServer && _open.Any(id => id % 2 == 1 && !_replied.Contains(id)):
            {
                var id = Pick(_open.Where(id => id % 2 == 1 && !_replied.Contains(id)).ToList());
                if (_random.Next(2) == 0)
                {
                    Add(PeerFrames.Data(id, 0, new byte[5]), $"DATA {id} before SYN_REPLY");
                    return Rst(id, RstStatus.ProtocolError, "DATA before SYN_REPLY");
                }

                Add(PeerFrames.Headers(_v, id, 0, _blocks.Valid([("x-a", "b")]).Compressed), $"HEADERS {id} before SYN_REPLY");
                return Rst(id, RstStatus.ProtocolError, "HEADERS before SYN_REPLY");
            }

            case 20 when !IsServer:
            {
                var associated = _replied.Where(_open.Contains).ToList();
                var kind = _random.Next(3);
                if (kind == 0)
                {
                    // associated with a stream that is not an open request of ours
                    var notOpen = _closed.Where(id => id % 2 == 1).Append(201).ToList();
                    var assoc = Pick(notOpen);
                    Add(PeerFrames.SynStream(_v, next, assoc, 0, SpdyFlags.Unidirectional, _blocks.Valid(PushHeaders("/n")).Compressed), $"push {next} assoc {assoc} (not open)");
                    return Rst(next, RstStatus.InvalidStream, "push associated with a stream that is not an open request");
                }

                if (associated.Count == 0)
                {
                    return null;
                }

                if (kind == 1)
                {
                    Add(PeerFrames.SynStream(_v, next, Pick(associated), 0, 0, _blocks.Valid(PushHeaders("/u")).Compressed), $"push {next} without FLAG_UNIDIRECTIONAL");
                    return Rst(next, RstStatus.ProtocolError, "push without FLAG_UNIDIRECTIONAL");
                }

                Add(PeerFrames.SynStream(_v, next, Pick(associated), 0, SpdyFlags.Unidirectional, _blocks.Valid(ResponseHeaders()).Compressed), $"push {next} without a URL");
                return Rst(next, RstStatus.ProtocolError, "push without :scheme/:host/:path (v2 url)");
            }

            case 21 when _v == SpdyVersion.Spdy3:
            {
                if (!IsServer)
                {
                    Add(PeerFrames.Credential(_v, 1, [1, 2, 3], [4, 5, 6]), "CREDENTIAL from a server");
                    return GoAway("CREDENTIAL sent by a server");
                }

                var slot = _random.Next(2) == 0 ? 0 : 9 + _random.Next(100);
                Add(PeerFrames.Credential(_v, slot, [1, 2, 3], [4, 5, 6]), $"CREDENTIAL slot {slot}");
                return GoAway($"CREDENTIAL with slot {slot}");
            }

            case 22 when _v == SpdyVersion.Spdy3 && IsServer:
            {
                var slot = 1 + _random.Next(8);
                Add(PeerFrames.SynStream(_v, next, 0, 0, SpdyFlags.Fin, _blocks.Valid(RequestHeaders("/c")).Compressed, slot), $"SYN_STREAM {next} slot {slot}");
                return Rst(next, RstStatus.InvalidCredentials, "SYN_STREAM naming an empty CREDENTIAL slot");
            }

            case 23:
            {
                var id = _random.Next(2) == 0 && _open.Count > 0 ? Pick(_open) : 301;
                Add(PeerFrames.RstStream(_v, id, 1 + _random.Next(Is2 ? 7 : 11)), $"RST_STREAM {id}");
                return Nothing("RST_STREAM (no RST_STREAM in reply)");
            }

            case 24 when HasFlowControl:
                Add(PeerFrames.Settings(_v, 0, (7, 0, 0x80000000u)), "SETTINGS INITIAL_WINDOW_SIZE 2^31");
                return GoAway("SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1");
            case 25:
            {
                var entries = Enumerable.Range(0, 1 + _random.Next(900))
                    .Select(_ => (_random.Next(3) == 0 ? _random.Next(0x1000000) : 1 + _random.Next(8), _random.Next(4), (uint)_random.Next(0, 100000)))
                    .Where(e => e.Item1 != 7 || e.Item3 <= 0x7FFFFFFF).ToArray();
                Add(PeerFrames.Settings(_v, _random.Next(2), entries), $"SETTINGS with {entries.Length} entries");
                return Nothing("SETTINGS with unknown, repeated and odd entries");
            }

            case 26:
                Add(PeerFrames.SynStream(_v, next, 0, 0, 0, []), $"SYN_STREAM {next} without a header block");
                return Rst(next, RstStatus.ProtocolError, "SYN_STREAM with an empty header block");
            case 27:
                Add(PeerFrames.Control(_wire, 8, 0, new byte[] { 0, 0, 0, 0 }.Concat(Is2 ? new byte[2] : []).Concat(_blocks.Valid([("x", "y")]).Compressed).ToArray()), "HEADERS 0");
                return GoAway("HEADERS on stream 0");
            case 28 when HasFlowControl && !IsServer && _closed.Count > 0:
            {
                var id = Pick(_closed);
                Add(PeerFrames.WindowUpdate(_v, id, 100), $"WINDOW_UPDATE {id} (closed)");
                return Nothing("WINDOW_UPDATE for a closed stream");
            }

            case 29 when _closed.Any(id => IsServer || id % 2 == 1):
            {
                var id = Pick(_closed.Where(id => IsServer || id % 2 == 1).ToList());
                Add(PeerFrames.Data(id, 0, new byte[5]), $"DATA {id} (closed)");
                return Rst(id, RstStatus.ProtocolError, "DATA on a closed stream");
            }

            case 30:
                Add(PeerFrames.Control(_wire, 1, 0, new byte[_random.Next(10)]), "SYN_STREAM shorter than its fixed part");
                return GoAway("SYN_STREAM with a length below 10");
            case 31:
            {
                var block = _blocks.Bomb(_random, IsServer ? RequestHeaders("/") : ResponseHeaders());
                Add(PeerFrames.SynStream(_v, next, IsServer ? 0 : 1, 0, IsServer ? SpdyFlags.Fin : SpdyFlags.Unidirectional, block.Compressed), $"SYN_STREAM {next} ({block.Description})");
                return GoAway("header block bomb");
            }
        }

        return null;
    }

    // ------------------------------------------------------------------ random frames

    private int RandomStreamId()
    {
        switch (_random.Next(8))
        {
            case 0:
                return 0;
            case 1:
                return _random.Next(int.MaxValue);
            case 2 or 3 when _open.Count > 0:
                return Pick(_open);
            case 4 when _peerFinished.Count > 0:
                return Pick(_peerFinished);
            default:
                return 1 + _random.Next(30);
        }
    }

    private (byte[], string) RandomFrame()
    {
        if (_random.Next(3) == 0 && ValidFrame() is { } valid)
        {
            return valid;
        }

        var flags = _random.Next(4) == 0 ? _random.Next(256) : _random.Next(4);
        var id = RandomStreamId();
        switch (_random.Next(12))
        {
            case 0:
            {
                if (id > _lastPeerStreamId && id % 2 == (IsServer ? 1 : 0))
                {
                    _lastPeerStreamId = id;
                    _nextPeerStreamId = id + 2;
                    _open.Add(id);
                }

                var block = _blocks.Make(_random, IsServer ? RequestHeaders("/r") : PushHeaders("/p"));
                return (PeerFrames.SynStream(_v, id, _random.Next(3) == 0 ? RandomStreamId() : 0, _random.Next(8), flags, block.Compressed, _random.Next(3) == 0 ? _random.Next(256) : 0),
                    $"SYN_STREAM {id} flags {flags} ({block.Description})");
            }

            case 1:
            {
                var block = _blocks.Make(_random, ResponseHeaders());
                return (PeerFrames.SynReply(_v, id, flags, block.Compressed), $"SYN_REPLY {id} ({block.Description})");
            }

            case 2:
            {
                var block = _blocks.Make(_random, [("x-trailer", "t")]);
                return (PeerFrames.Headers(_v, id, flags, block.Compressed), $"HEADERS {id} ({block.Description})");
            }

            case 3:
                return (PeerFrames.RstStream(_v, id, _random.Next(3) == 0 ? _random.Next() : _random.Next(13)), $"RST_STREAM {id}");
            case 4:
            {
                var entries = Enumerable.Range(0, _random.Next(6))
                    .Select(_ => (_random.Next(10), _random.Next(4), _random.Next(3) == 0 ? (uint)_random.NextInt64(0, uint.MaxValue) : (uint)_random.Next(200000))).ToArray();
                return (PeerFrames.Settings(_v, flags, entries), $"SETTINGS {entries.Length} entries");
            }

            case 5:
                return (PeerFrames.Ping(_v, (uint)_random.NextInt64(0, uint.MaxValue)), "PING");
            case 6:
                return (PeerFrames.GoAway(_v, id, _random.Next(4)), $"GOAWAY {id}");
            case 7:
                return (PeerFrames.WindowUpdate(_v, id, _random.Next(3) == 0 ? _random.Next() : _random.Next(100000)), $"WINDOW_UPDATE {id}");
            case 8:
                return (PeerFrames.Credential(_v, _random.Next(12), HeaderBlockFuzzer.RandomBytes(_random, _random.Next(40)),
                    Enumerable.Range(0, _random.Next(3)).Select(_ => HeaderBlockFuzzer.RandomBytes(_random, _random.Next(60))).ToArray()), "CREDENTIAL");
            case 9:
            {
                var length = _random.Next(8) == 0 ? _random.Next(MaxFrameSize + 2000) : _random.Next(3000);
                return (PeerFrames.Data(id, flags, HeaderBlockFuzzer.RandomBytes(_random, length)), $"DATA {id} {length} B flags {flags}");
            }

            case 10:
            {
                // A known control type with a payload of random length and bytes.
                var type = 1 + _random.Next(10);
                var version = _random.Next(10) == 0 ? _random.Next(5) : _wire;
                return (PeerFrames.Control(version, type, flags, HeaderBlockFuzzer.RandomBytes(_random, _random.Next(64))), $"control v{version} type {type} random payload");
            }

            default:
                return (PeerFrames.Control(_wire, _random.Next(0x10000), flags, HeaderBlockFuzzer.RandomBytes(_random, _random.Next(64))), "control of a random type");
        }
    }

    // ------------------------------------------------------------------ byte mutations

    private void Mutate(FuzzInput input)
    {
        input.FramingIntact = false;
        var frames = input.Frames;
        for (var m = 1 + _random.Next(4); m > 0 && frames.Count > 0; m--)
        {
            var index = _random.Next(frames.Count);
            var (bytes, what) = frames[index];
            var list = bytes.ToList();
            if (list.Count == 0)
            {
                continue;
            }

            switch (_random.Next(7))
            {
                case 0:
                    list[_random.Next(list.Count)] = (byte)_random.Next(256);
                    what += " (byte changed)";
                    break;
                case 1:
                    list[_random.Next(list.Count)] ^= (byte)(1 << _random.Next(8));
                    what += " (bit flipped)";
                    break;
                case 2:
                    list.InsertRange(_random.Next(list.Count + 1), HeaderBlockFuzzer.RandomBytes(_random, 1 + _random.Next(16)));
                    what += " (bytes inserted)";
                    break;
                case 3 when list.Count > 1:
                    var at = _random.Next(list.Count);
                    list.RemoveRange(at, Math.Min(list.Count - at, 1 + _random.Next(16)));
                    what += " (bytes removed)";
                    break;
                case 4:
                    frames.Insert(index, (bytes, what + " (repeated)"));
                    continue;
                case 5 when frames.Count > 1:
                    var other = _random.Next(frames.Count);
                    (frames[index], frames[other]) = (frames[other], frames[index]);
                    continue;
                default:
                    // A length field (bytes 5..7 of the common header) that lies.
                    if (list.Count >= 8)
                    {
                        list[5 + _random.Next(3)] = (byte)_random.Next(256);
                        what += " (length changed)";
                    }

                    break;
            }

            frames[index] = (list.ToArray(), what);
        }

        if (_random.Next(5) == 0)
        {
            var all = input.Concatenated();
            frames.Clear();
            frames.Add((all[.._random.Next(all.Length)], "the conversation, truncated"));
        }
    }

    public void Dispose() => _zlib.Dispose();
}
