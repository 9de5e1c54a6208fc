using System.Buffers;
using BenchmarkDotNet.Attributes;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Compression;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Benchmarks;

/// <summary>
/// One frame per operation through <see cref="SpdyFrameWriter"/> / <see cref="SpdyFrameReader"/>, per version.
/// DATA frames carry <see cref="DataLength"/> bytes (the engine's DataChunkSize is 16 KB). Header-carrying frames
/// use one long-lived compression context per direction, as a session does, so the figures are the steady
/// state (the dictionary and earlier blocks already in the window), not a first block.
/// </summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private const int DataLength = 16 * 1024;

    private SpdyFrameWriter _writer = null!;
    private SpdyFrameReader _dataReader = null!;
    private SpdyFrameWriter _roundTripWriter = null!;
    private SpdyFrameReader _roundTripReader = null!;
    private ArrayBufferWriter<byte> _output = null!;
    private byte[] _payload = null!;
    private ReadOnlySequence<byte> _dataFrame;
    private byte[] _controlFrames = null!;
    private HeaderList _request = null!;
    private HeaderList _response = null!;

    [Params("spdy/2", "spdy/3", "spdy/3.1")]
    public string Version { get; set; } = "spdy/3.1";

    [GlobalSetup]
    public void Setup()
    {
        var profile = SpdyProtocolProfile.ForAlpn(Version) ?? throw new ArgumentException($"unknown version {Version}");
        _writer = new SpdyFrameWriter(profile);
        // As the session reads: DATA and WINDOW_UPDATE objects reused (ReuseFrames).
        _dataReader = new SpdyFrameReader(profile) { ReuseFrames = true };
        _roundTripWriter = new SpdyFrameWriter(profile);
        _roundTripReader = new SpdyFrameReader(profile);
        _output = new ArrayBufferWriter<byte>(64 * 1024);
        _payload = new byte[DataLength];
        new Random(1).NextBytes(_payload);
        var frame = new ArrayBufferWriter<byte>();
        _writer.WriteData(frame, 1, _payload, fin: false);
        _dataFrame = new ReadOnlySequence<byte>(frame.WrittenMemory.ToArray());

        var control = new ArrayBufferWriter<byte>();
        _writer.WritePing(control, 7);
        _writer.WriteRstStream(control, 3, RstStatus.Cancel);
        _writer.WriteGoAway(control, 5, GoAwayStatus.Ok);
        _controlFrames = control.WrittenMemory.ToArray();
        _request = HeaderSamples.Request(profile);
        _response = HeaderSamples.Response(profile);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.Dispose();
        _dataReader.Dispose();
        _roundTripWriter.Dispose();
        _roundTripReader.Dispose();
    }

    [Benchmark(Description = "write DATA 16 KB")]
    public int WriteData()
    {
        _output.ResetWrittenCount();
        _writer.WriteData(_output, 1, _payload, fin: false);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "read DATA 16 KB")]
    public long ReadData()
    {
        var buffer = _dataFrame;
        return _dataReader.TryReadFrame(ref buffer, out var frame) ? ((DataFrame)frame).Data.Length : -1;
    }

    [Benchmark(Description = "write 3 control frames (PING, RST, GOAWAY)")]
    public int WriteControl()
    {
        _output.ResetWrittenCount();
        _writer.WritePing(_output, 7);
        _writer.WriteRstStream(_output, 3, RstStatus.Cancel);
        _writer.WriteGoAway(_output, 5, GoAwayStatus.Ok);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "read 3 control frames (PING, RST, GOAWAY)")]
    public int ReadControl()
    {
        var buffer = new ReadOnlySequence<byte>(_controlFrames);
        var count = 0;
        while (_dataReader.TryReadFrame(ref buffer, out _))
        {
            count++;
        }

        return count;
    }

    [Benchmark(Description = "write SYN_STREAM (request headers, compressed)")]
    public int WriteSynStream()
    {
        _output.ResetWrittenCount();
        return _writer.WriteSynStream(_output, 1, 0, 0, SpdyFlags.Fin, _request);
    }

    [Benchmark(Description = "write SYN_REPLY (response headers, compressed)")]
    public int WriteSynReply()
    {
        _output.ResetWrittenCount();
        return _writer.WriteSynReply(_output, 1, false, _response);
    }

    [Benchmark(Description = "write + read SYN_STREAM (compress + inflate + parse)")]
    public int SynStreamRoundTrip()
    {
        _output.ResetWrittenCount();
        _roundTripWriter.WriteSynStream(_output, 1, 0, 0, SpdyFlags.Fin, _request);
        var buffer = new ReadOnlySequence<byte>(_output.WrittenMemory);
        return _roundTripReader.TryReadFrame(ref buffer, out var frame) ? ((SynStreamFrame)frame).Headers.NameCount : -1;
    }
}

/// <summary>Header blocks alone (no framing): serialize + deflate, and deflate + inflate + parse, per version.</summary>
[MemoryDiagnoser]
public class HeaderBlockBenchmarks
{
    private HeaderBlockEncoder _encoder = null!;
    private HeaderBlockEncoder _pairedEncoder = null!;
    private HeaderBlockDecoder _pairedDecoder = null!;
    private ArrayBufferWriter<byte> _output = null!;
    private HeaderList _request = null!;
    private HeaderList _response = null!;

    [Params("spdy/2", "spdy/3", "spdy/3.1")]
    public string Version { get; set; } = "spdy/3.1";

    [GlobalSetup]
    public void Setup()
    {
        var profile = SpdyProtocolProfile.ForAlpn(Version) ?? throw new ArgumentException($"unknown version {Version}");
        _encoder = new HeaderBlockEncoder(profile);
        _pairedEncoder = new HeaderBlockEncoder(profile);
        _pairedDecoder = new HeaderBlockDecoder(profile, 256 * 1024);
        _output = new ArrayBufferWriter<byte>(4096);
        _request = HeaderSamples.Request(profile);
        _response = HeaderSamples.Response(profile);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _encoder.Dispose();
        _pairedEncoder.Dispose();
        _pairedDecoder.Dispose();
    }

    [Benchmark(Description = "compress request headers")]
    public int CompressRequest()
    {
        _output.ResetWrittenCount();
        return _encoder.Encode(_request, _output);
    }

    [Benchmark(Description = "compress response headers")]
    public int CompressResponse()
    {
        _output.ResetWrittenCount();
        return _encoder.Encode(_response, _output);
    }

    [Benchmark(Description = "compress + decompress request headers")]
    public int RoundTripRequest()
    {
        _output.ResetWrittenCount();
        _pairedEncoder.Encode(_request, _output);
        return _pairedDecoder.Decode(new ReadOnlySequence<byte>(_output.WrittenMemory), 1).NameCount;
    }

    [Benchmark(Description = "compress + decompress response headers")]
    public int RoundTripResponse()
    {
        _output.ResetWrittenCount();
        _pairedEncoder.Encode(_response, _output);
        return _pairedDecoder.Decode(new ReadOnlySequence<byte>(_output.WrittenMemory), 1).NameCount;
    }
}
