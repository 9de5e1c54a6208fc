using System.Buffers;

namespace SpdyLab.Protocol.Compression;

/// <summary>
/// The receiving direction's decompression context: one zlib inflate stream per session direction; the
/// dictionary is supplied when zlib asks for it (Z_NEED_DICT). Inflating stops at
/// <see cref="MaxHeaderBlockSize"/> bytes of output (decompression bomb). Any inflate failure is a session
/// error: the context is shared by the whole session and cannot be resynchronised (spdy3 §2.4.1).
/// </summary>
public sealed unsafe class HeaderBlockDecoder : IDisposable
{
    private readonly int _lengthFieldSize;
    private readonly ReadOnlyMemory<byte> _dictionary;
    private byte[] _output;
    private readonly RecentStrings _recentValues = new();
    private Zlib.ZStream* _stream;

    public HeaderBlockDecoder(SpdyProtocolProfile profile, int maxHeaderBlockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeaderBlockSize, 16);
        _lengthFieldSize = profile.HeaderLengthFieldSize;
        _dictionary = profile.Dictionary;
        MaxHeaderBlockSize = maxHeaderBlockSize;
        _output = new byte[Math.Min(4096, maxHeaderBlockSize)];
        _stream = (Zlib.ZStream*)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)sizeof(Zlib.ZStream));
        var code = Zlib.InflateInit(_stream, Zlib.Version(), sizeof(Zlib.ZStream));
        if (code != Zlib.Ok)
        {
            var message = Zlib.Describe(_stream, code);
            System.Runtime.InteropServices.NativeMemory.Free(_stream);
            _stream = null;
            throw new InvalidOperationException($"inflateInit failed: {message}");
        }
    }

    public int MaxHeaderBlockSize { get; }

    /// <summary>Total compressed header-block bytes received.</summary>
    public long CompressedBytes { get; private set; }

    /// <summary>Total uncompressed header-block bytes received.</summary>
    public long RawBytes { get; private set; }

    /// <summary>Inflates and parses one header block. Inflate problems are session errors; malformed pairs
    /// are stream errors on <paramref name="streamId"/> (the zlib state stays in step either way).</summary>
    public HeaderList Decode(ReadOnlySequence<byte> compressed, int streamId)
    {
        var length = Inflate(compressed, streamId);
        return HeaderBlockCodec.Parse(_output.AsSpan(0, length), _lengthFieldSize, streamId, _recentValues);
    }

    /// <summary>Inflates one block into the internal buffer and returns its length.</summary>
    internal int Inflate(ReadOnlySequence<byte> compressed, int streamId)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        var produced = 0;
        foreach (var segment in compressed)
        {
            produced = InflateSegment(segment.Span, produced, streamId);
        }

        CompressedBytes += compressed.Length;
        RawBytes += produced;
        return produced;
    }

    internal ReadOnlySpan<byte> LastOutput(int length) => _output.AsSpan(0, length);

    private int InflateSegment(ReadOnlySpan<byte> input, int produced, int streamId)
    {
        fixed (byte* inBuffer = input)
        {
            _stream->NextIn = inBuffer;
            _stream->AvailIn = (uint)input.Length;
            while (_stream->AvailIn > 0)
            {
                if (produced == _output.Length)
                {
                    if (_output.Length >= MaxHeaderBlockSize)
                    {
                        throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError,
                            $"header block inflates past the {MaxHeaderBlockSize}-byte limit", streamId, RstStatus.FrameTooLarge);
                    }

                    Array.Resize(ref _output, (int)Math.Min((long)_output.Length * 2, MaxHeaderBlockSize));
                }

                int code;
                fixed (byte* outBuffer = _output)
                {
                    _stream->NextOut = outBuffer + produced;
                    _stream->AvailOut = (uint)(_output.Length - produced);
                    code = Zlib.Inflate(_stream, Zlib.SyncFlush);
                    produced = _output.Length - (int)_stream->AvailOut;
                }

                if (code == Zlib.NeedDict)
                {
                    var dictionary = _dictionary.Span;
                    fixed (byte* dict = dictionary)
                    {
                        code = Zlib.InflateSetDictionary(_stream, dict, (uint)dictionary.Length);
                    }

                    if (code != Zlib.Ok)
                    {
                        throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError,
                            $"header block needs a dictionary other than the SPDY one (DICTID {_stream->Adler.Value:x8})");
                    }

                    continue;
                }

                if (code == Zlib.StreamEnd || (code == Zlib.BufError && _stream->AvailOut != 0))
                {
                    break; // no progress possible: input exhausted
                }

                if (code != Zlib.Ok && code != Zlib.BufError)
                {
                    throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError,
                        $"header block does not inflate: {Zlib.Describe(_stream, code)}");
                }
            }

            // Input used up; zlib may still hold output if the buffer filled exactly.
            while (produced == _output.Length && _stream->AvailOut == 0)
            {
                if (_output.Length >= MaxHeaderBlockSize)
                {
                    // One more byte of room would tell whether output is pending: probe with a tiny buffer.
                    byte probe;
                    _stream->NextOut = &probe;
                    _stream->AvailOut = 1;
                    var code = Zlib.Inflate(_stream, Zlib.SyncFlush);
                    if (_stream->AvailOut == 0)
                    {
                        throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError,
                            $"header block inflates past the {MaxHeaderBlockSize}-byte limit", streamId, RstStatus.FrameTooLarge);
                    }

                    if (code != Zlib.Ok && code != Zlib.BufError)
                    {
                        throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError,
                            $"header block does not inflate: {Zlib.Describe(_stream, code)}");
                    }

                    break;
                }

                Array.Resize(ref _output, (int)Math.Min((long)_output.Length * 2, MaxHeaderBlockSize));
                fixed (byte* outBuffer = _output)
                {
                    _stream->NextOut = outBuffer + produced;
                    _stream->AvailOut = (uint)(_output.Length - produced);
                    var code = Zlib.Inflate(_stream, Zlib.SyncFlush);
                    produced = _output.Length - (int)_stream->AvailOut;
                    if (code != Zlib.Ok && code != Zlib.BufError)
                    {
                        throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError,
                            $"header block does not inflate: {Zlib.Describe(_stream, code)}");
                    }
                }
            }

            _stream->NextIn = null;
            _stream->NextOut = null;
        }

        return produced;
    }

    public void Dispose()
    {
        if (_stream is not null)
        {
            Zlib.InflateEnd(_stream);
            System.Runtime.InteropServices.NativeMemory.Free(_stream);
            _stream = null;
        }

        GC.SuppressFinalize(this);
    }

    ~HeaderBlockDecoder()
    {
        Dispose();
    }
}
