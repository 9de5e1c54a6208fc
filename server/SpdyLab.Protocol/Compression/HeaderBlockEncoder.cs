using System.Buffers;

namespace SpdyLab.Protocol.Compression;

/// <summary>
/// The sending direction's compression context: one zlib deflate stream per session direction, primed with the
/// version's dictionary, each block ended with Z_SYNC_FLUSH (spdy3 §2.6.10.1). Blocks must be encoded in wire
/// order, so exactly one writer owns an encoder.
/// </summary>
public sealed unsafe class HeaderBlockEncoder : IDisposable
{
    private readonly int _lengthFieldSize;
    private readonly ArrayBufferWriter<byte> _raw = new(1024);
    private Zlib.ZStream* _stream;

    public HeaderBlockEncoder(SpdyProtocolProfile profile, HeaderCompressionOptions? options = null)
    {
        options ??= HeaderCompressionOptions.Default;
        _lengthFieldSize = profile.HeaderLengthFieldSize;
        _stream = (Zlib.ZStream*)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)sizeof(Zlib.ZStream));
        var code = Zlib.DeflateInit2(_stream, options.Level, Zlib.Deflated, options.WindowBits, options.MemLevel, Zlib.DefaultStrategy, Zlib.Version(), sizeof(Zlib.ZStream));
        if (code != Zlib.Ok)
        {
            var message = Zlib.Describe(_stream, code);
            System.Runtime.InteropServices.NativeMemory.Free(_stream);
            _stream = null;
            throw new InvalidOperationException($"deflateInit2 failed: {message}");
        }

        var dictionary = profile.Dictionary.Span;
        fixed (byte* dict = dictionary)
        {
            code = Zlib.DeflateSetDictionary(_stream, dict, (uint)dictionary.Length);
        }

        if (code != Zlib.Ok)
        {
            throw new InvalidOperationException($"deflateSetDictionary failed: {Zlib.Describe(_stream, code)}");
        }
    }

    /// <summary>Total uncompressed header-block bytes encoded so far.</summary>
    public long RawBytes { get; private set; }

    /// <summary>Total compressed header-block bytes produced so far.</summary>
    public long CompressedBytes { get; private set; }

    /// <summary>Serializes and compresses one block into <paramref name="output"/>; returns the compressed length.</summary>
    public int Encode(HeaderList headers, IBufferWriter<byte> output)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        _raw.ResetWrittenCount();
        var rawLength = HeaderBlockCodec.Serialize(headers, _lengthFieldSize, _raw);
        var written = Compress(_raw.WrittenSpan, output);
        RawBytes += rawLength;
        CompressedBytes += written;
        return written;
    }

    /// <summary>Compresses an already serialized block (used by tests and by the encoder itself).</summary>
    internal int Compress(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        var written = 0;
        fixed (byte* input = raw)
        {
            _stream->NextIn = input;
            _stream->AvailIn = (uint)raw.Length;
            while (true)
            {
                // deflate with Z_SYNC_FLUSH is done when it leaves output space unused (zlib.h: "make sure that
                // avail_out is greater than six" and call again while it fills the buffer).
                var span = output.GetSpan(Math.Max(64, raw.Length / 2 + 16));
                int code;
                uint produced;
                fixed (byte* outBuffer = span)
                {
                    _stream->NextOut = outBuffer;
                    _stream->AvailOut = (uint)span.Length;
                    code = Zlib.Deflate(_stream, Zlib.SyncFlush);
                    produced = (uint)span.Length - _stream->AvailOut;
                }

                if (code != Zlib.Ok && code != Zlib.BufError)
                {
                    throw new InvalidOperationException($"deflate failed: {Zlib.Describe(_stream, code)}");
                }

                output.Advance((int)produced);
                written += (int)produced;
                if (_stream->AvailOut != 0 && _stream->AvailIn == 0)
                {
                    break;
                }
            }

            _stream->NextIn = null;
            _stream->NextOut = null;
        }

        return written;
    }

    public void Dispose()
    {
        if (_stream is not null)
        {
            Zlib.DeflateEnd(_stream);
            System.Runtime.InteropServices.NativeMemory.Free(_stream);
            _stream = null;
        }

        GC.SuppressFinalize(this);
    }

    ~HeaderBlockEncoder()
    {
        Dispose();
    }
}
