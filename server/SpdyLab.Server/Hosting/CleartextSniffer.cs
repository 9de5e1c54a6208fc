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
    public static CleartextProtocol Classify(ReadOnlySpan<byte> firstBytes, out bool needMore)
    {
        needMore = false;
        if (firstBytes.Length == 0)
        {
            needMore = true;
            return CleartextProtocol.Unsupported;
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
        var version = ((firstBytes[0] & 0x7F) << 8) | firstBytes[1];
        return version switch
        {
            2 => CleartextProtocol.SpdyVersion2,
            3 => CleartextProtocol.SpdyVersion3,
            _ => CleartextProtocol.Unsupported,
        };
    }

    /// <summary>Reads until the first bytes decide, then puts them back (nothing is consumed).</summary>
    public static async ValueTask<CleartextProtocol> PeekAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var head = buffer.Length >= 4 ? buffer.Slice(0, 4).ToArray() : buffer.ToArray();
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
