using System.Buffers;
using System.IO.Pipelines;

namespace SpdyLab.Server.Hosting;

/// <summary>What the first bytes of a cleartext connection say it speaks.</summary>
public enum CleartextProtocol
{
    /// <summary>Not SPDY: HTTP/1.1 (or the h2c preface), left to Kestrel.</summary>
    Http,

    /// <summary>A SPDY control frame with wire version 2.</summary>
    SpdyVersion2,

    /// <summary>A SPDY control frame with wire version 3 (SPDY/3 or SPDY/3.1: the wire cannot tell).</summary>
    SpdyVersion3,

    /// <summary>A SPDY control frame of a version we do not speak, or the peer closed before sending 4 bytes.</summary>
    Unsupported,
}

/// <summary>
/// Tells SPDY from HTTP/1.1 on a shared cleartext port by peeking at the first bytes without
/// consuming them, so whoever handles the connection reads them again.
/// </summary>
public static class CleartextSniffer
{
    // SPDY/3 §2.2 (and SPDY/2 › Framing): every control frame starts with
    // +----------------------------------+
    // |C| Version(15bits) | Type(16bits) |
    // +----------------------------------+
    // C=1, so the first byte is 0x80 for versions below 256. A client's first frame is a control
    // frame (SETTINGS or SYN_STREAM); an HTTP/1.1 request starts with a method token (ASCII < 0x80).
    //
    // A peer may also open with a DATA frame (for a stream it never opened: spdy3 §2.2.2 wants RST_STREAM
    // INVALID_STREAM, not a closed connection):
    // +----------------------------------+
    // |C|       Stream-ID (31bits)       |
    // +----------------------------------+
    // | Flags (8)  |  Length (24 bits)   |
    // +----------------------------------+
    // C=0 and a stream id below 2^24 make the first byte 0x00, which no HTTP/1.1 request line (a method token)
    // and no h2 preface ("PRI") starts with. DATA carries no version: the first control frame after the
    // DATA frames already received says it; with none received yet, wire version 3 (what the port mostly
    // sees, and ALPN's first choice) rather than waiting on a peer that may be waiting for our answer.
    public static CleartextProtocol Classify(ReadOnlySpan<byte> firstBytes, out bool needMore)
    {
        needMore = false;
        if (firstBytes.Length == 0)
        {
            needMore = true;
            return CleartextProtocol.Unsupported;
        }
        if (firstBytes[0] == 0x00)
        {
            return ClassifyAfterData(firstBytes);
        }
        if ((firstBytes[0] & 0x80) == 0)
        {
            return CleartextProtocol.Http;
        }
        if (firstBytes.Length < 4)
        {
            needMore = true;
            return CleartextProtocol.Unsupported;
        }
        return ControlFrameVersion(firstBytes);
    }

    private static CleartextProtocol ControlFrameVersion(ReadOnlySpan<byte> frame)
    {
        var version = ((frame[0] & 0x7F) << 8) | frame[1];
        return version switch
        {
            2 => CleartextProtocol.SpdyVersion2,
            3 => CleartextProtocol.SpdyVersion3,
            _ => CleartextProtocol.Unsupported,
        };
    }

    /// <summary>Skips the whole DATA frames at the start of <paramref name="bytes"/>; the control frame after them
    /// decides, else wire version 3.</summary>
    private static CleartextProtocol ClassifyAfterData(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        // Bounded: each turn moves past at least one 8-byte frame header.
        while (offset + 8 <= bytes.Length && (bytes[offset] & 0x80) == 0)
        {
            var length = (bytes[offset + 5] << 16) | (bytes[offset + 6] << 8) | bytes[offset + 7];
            offset += 8 + length;
        }
        return offset + 4 <= bytes.Length && (bytes[offset] & 0x80) != 0
            ? ControlFrameVersion(bytes[offset..])
            : CleartextProtocol.SpdyVersion3;
    }

    /// <summary>How many of the first bytes <see cref="Classify"/> looks at when the first frame is DATA.</summary>
    public const int MaxLookahead = 64 * 1024;

    /// <summary>Reads until the first bytes decide, then puts them back (nothing is consumed).</summary>
    public static async ValueTask<CleartextProtocol> PeekAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            // Four bytes tell a control frame; after a DATA frame (first byte 0) the next control frame may be further on.
            var wanted = buffer.Length > 0 && buffer.FirstSpan[0] == 0x00 ? MaxLookahead : 4;
            var head = buffer.Slice(0, Math.Min(buffer.Length, wanted)).ToArray();
            var protocol = Classify(head, out var needMore);
            if (!needMore || result.IsCompleted || result.IsCanceled)
            {
                // Consumed nothing and examined nothing: the next ReadAsync returns these bytes at once.
                input.AdvanceTo(buffer.Start);
                return protocol;
            }
            // Examined everything: wait for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
