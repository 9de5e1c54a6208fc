using System.Buffers;
using SpdyLab.Protocol.Framing;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Framing;

/// <summary>The writer's bytes equal frames built independently from the spec diagrams, and read back.</summary>
public class SpdyFrameWriterTests
{
    public static readonly SpdyVersion[] AllVersions = [SpdyVersion.Spdy2, SpdyVersion.Spdy3, SpdyVersion.Spdy31];

    private static byte[] Write(SpdyVersion version, Action<SpdyFrameWriter, IBufferWriter<byte>> write)
    {
        using var writer = new SpdyFrameWriter(SpdyProtocolProfile.For(version));
        var output = new ArrayBufferWriter<byte>();
        write(writer, output);
        return output.WrittenSpan.ToArray();
    }

    private static SpdyFrame ReadOne(SpdyVersion version, byte[] bytes)
    {
        using var reader = new SpdyFrameReader(SpdyProtocolProfile.For(version));
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.That(reader.TryReadFrame(ref buffer, out var frame), Is.True);
        Assert.That(buffer.Length, Is.Zero);
        return frame!;
    }

    [TestCaseSource(nameof(AllVersions))]
    public void TryReadFrame_ReuseFramesTwoSynStreams_OneObjectEachFrameWithItsOwnFieldsAndHeaderList(SpdyVersion version)
    {
        var profile = SpdyProtocolProfile.For(version);
        var bytes = Write(version, (w, o) =>
        {
            w.WriteSynStream(o, 1, 0, 0, SpdyFlags.Fin, profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", "/first")));
            w.WriteSynStream(o, 3, 0, profile.LowestPriority, 0, profile.CreateRequestHeaders(new SpdyRequestHead("POST", "https", "example.test", "/second")));
        });
        using var reader = new SpdyFrameReader(profile) { ReuseFrames = true };
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.That(reader.TryReadFrame(ref buffer, out var first), Is.True);
        var firstHeaders = ((SynStreamFrame)first!).Headers;
        Assert.That(((SynStreamFrame)first).IsFin, Is.True);
        Assert.That(reader.TryReadFrame(ref buffer, out var second), Is.True);
        var syn = (SynStreamFrame)second!;

        // The session keeps the header list (the stream's request), never the frame: the list must not be refilled.
        Assert.That(syn, Is.SameAs(first));
        Assert.That((syn.Id, syn.Priority, syn.IsFin), Is.EqualTo((3, profile.LowestPriority, false)));
        Assert.That(syn.Headers, Is.Not.SameAs(firstHeaders));
        Assert.That(profile.ReadRequest(syn.Headers).Path, Is.EqualTo("/second"));
        Assert.That(profile.ReadRequest(firstHeaders).Path, Is.EqualTo("/first"));
    }

    [TestCaseSource(nameof(AllVersions))]
    public void WriteRstStream_MatchesSpecLayout(SpdyVersion version) =>
        Assert.That(Write(version, (w, o) => w.WriteRstStream(o, 5, RstStatus.Cancel)), Is.EqualTo(PeerFrames.RstStream(version, 5, 5)));

    [TestCaseSource(nameof(AllVersions))]
    public void WriteSettings_MatchesSpecLayoutPerVersion(SpdyVersion version)
    {
        var bytes = Write(version, (w, o) => w.WriteSettings(o, SpdyFlags.ClearSettings,
            [new SettingsEntry(SettingsId.MaxConcurrentStreams, SettingsEntryFlags.PersistValue, 100), new SettingsEntry(SettingsId.InitialWindowSize, 0, 70000)]));

        Assert.That(bytes, Is.EqualTo(PeerFrames.Settings(version, 1, (4, 1, 100u), (7, 0, 70000u))));
        var frame = (SettingsFrame)ReadOne(version, bytes);
        Assert.That((frame.ClearSettings, frame.Entries[0].Flags, frame.Entries[1].Value), Is.EqualTo((true, SettingsEntryFlags.PersistValue, 70000u)));
    }

    [TestCaseSource(nameof(AllVersions))]
    public void WritePingAndGoAway_MatchSpecLayout(SpdyVersion version)
    {
        Assert.That(Write(version, (w, o) => w.WritePing(o, 0xFFFFFFFE)), Is.EqualTo(PeerFrames.Ping(version, 0xFFFFFFFE)));
        Assert.That(Write(version, (w, o) => w.WriteGoAway(o, 9, GoAwayStatus.InternalError)), Is.EqualTo(PeerFrames.GoAway(version, 9, 2)));
    }

    [TestCase(SpdyVersion.Spdy3)]
    [TestCase(SpdyVersion.Spdy31)]
    public void WriteWindowUpdate_MatchesSpecLayout(SpdyVersion version) =>
        Assert.That(Write(version, (w, o) => w.WriteWindowUpdate(o, 0, 12345)), Is.EqualTo(PeerFrames.WindowUpdate(version, 0, 12345)));

    [Test]
    public void WriteNoop_Spdy2_IsAnEmptyType5Frame() =>
        Assert.That(Write(SpdyVersion.Spdy2, (w, o) => w.WriteNoop(o)), Is.EqualTo(PeerFrames.Control(2, 5, 0, [])));

    [Test]
    public void WriteNoop_Spdy3_Throws() =>
        Assert.Throws<InvalidOperationException>(() => Write(SpdyVersion.Spdy3, (w, o) => w.WriteNoop(o)));

    [Test]
    public void WriteCredential_Spdy3_MatchesSpecLayoutAndReadsBack()
    {
        var bytes = Write(SpdyVersion.Spdy3, (w, o) => w.WriteCredential(o, 1, [9, 9], [[1, 2, 3], [4]]));

        Assert.That(bytes, Is.EqualTo(PeerFrames.Credential(SpdyVersion.Spdy3, 1, [9, 9], [1, 2, 3], [4])));
        var frame = (CredentialFrame)ReadOne(SpdyVersion.Spdy3, bytes);
        Assert.That((frame.Slot, frame.Proof, frame.Certificates.Count), Is.EqualTo(((ushort)1, new byte[] { 9, 9 }, 2)));
    }

    [TestCaseSource(nameof(AllVersions))]
    public void WriteData_MatchesSpecLayout(SpdyVersion version) =>
        Assert.That(Write(version, (w, o) => w.WriteData(o, 3, "abc"u8, fin: true)), Is.EqualTo(PeerFrames.Data(3, 1, "abc"u8.ToArray())));

    [TestCaseSource(nameof(AllVersions))]
    public void WriteHeaderFrames_DecodeWithAnIndependentInflater(SpdyVersion version)
    {
        var profile = SpdyProtocolProfile.For(version);
        var request = profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "example.test", "/a?b=c"), [new("accept", "*/*"), new("cookie", "a=1"), new("cookie", "b=2")]);
        var reply = profile.CreateResponseHeaders(404);
        var bytes = Write(version, (w, o) =>
        {
            w.WriteSynStream(o, 1, 0, profile.LowestPriority, SpdyFlags.Fin, request);
            w.WriteSynReply(o, 1, false, reply);
            w.WriteHeaders(o, 1, true, new HeaderList().Add("x-trailer", "t"));
        });
        using var zlib = new PeerZlib(PeerZlib.LoadDictionary(version));

        // SYN_STREAM: header 8 + 10 fixed; SYN_REPLY / HEADERS: 8 + 4 (+2 unused in v2).
        var synLength = 8 + ((bytes[5] << 16) | (bytes[6] << 8) | bytes[7]);
        var syn = bytes[..synLength];
        var replyLength = 8 + ((bytes[synLength + 5] << 16) | (bytes[synLength + 6] << 8) | bytes[synLength + 7]);
        var replyBytes = bytes[synLength..(synLength + replyLength)];
        var fixedReply = version == SpdyVersion.Spdy2 ? 14 : 12;
        var synPairs = PeerFrames.ParseNv(version, zlib.Decompress(syn[18..]));
        var replyPairs = PeerFrames.ParseNv(version, zlib.Decompress(replyBytes[fixedReply..]));
        var trailerPairs = PeerFrames.ParseNv(version, zlib.Decompress(bytes[(synLength + replyLength + fixedReply)..]));

        Assert.Multiple(() =>
        {
            Assert.That(syn[4], Is.EqualTo(SpdyFlags.Fin));
            Assert.That(syn[16] >> (version == SpdyVersion.Spdy2 ? 6 : 5), Is.EqualTo(profile.LowestPriority));
            Assert.That(synPairs, Does.Contain((profile.PathHeader, "/a?b=c")));
            Assert.That(synPairs, Does.Contain(("cookie", "a=1\0b=2")));
            Assert.That(replyPairs, Does.Contain((profile.StatusHeader, "404 Not Found")));
            Assert.That(trailerPairs, Is.EqualTo(new[] { ("x-trailer", "t") }));
        });
    }

    [TestCaseSource(nameof(AllVersions))]
    public void RequestMapping_RoundTripsVersionNeutralFields(SpdyVersion version)
    {
        var profile = SpdyProtocolProfile.For(version);
        var headers = profile.CreateRequestHeaders(new SpdyRequestHead("POST", "https", "example.test:8443", "/x"), [new("Host", "ignored"), new("Connection", "keep-alive"), new("X-A", "1")]);

        var request = profile.ReadRequest(headers);

        Assert.Multiple(() =>
        {
            Assert.That(request, Is.EqualTo(new SpdyRequestHead("POST", "https", "example.test:8443", "/x", "HTTP/1.1")));
            Assert.That(headers.Contains("connection"), Is.False);
            Assert.That(headers["x-a"], Is.EqualTo("1"));
            Assert.That(profile.ReadResponse(profile.CreateResponseHeaders(302))!.Status, Is.EqualTo(302));
        });
    }

    [Test]
    public void ReadRequest_Spdy2AbsoluteUrl_SplitsHostAndPath()
    {
        var request = SpdyProtocolProfile.Spdy2.ReadRequest(new HeaderList().Add("method", "GET").Add("url", "http://a.test:81/p?q").Add("version", "HTTP/1.1"));

        Assert.That((request.Scheme, request.Host, request.Path), Is.EqualTo(("http", "a.test:81", "/p?q")));
    }
}
