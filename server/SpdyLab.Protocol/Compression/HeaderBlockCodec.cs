using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SpdyLab.Protocol.Compression;

/// <summary>
/// The uncompressed Name/Value header block (spdy2 › Name/Value header block format; spdy3 §2.6.10):
/// <code>
/// +------------------------------------+
/// | Number of Name/Value pairs (int32) |   (int16 in SPDY/2)
/// +------------------------------------+
/// |     Length of name (int32)         |   (int16 in SPDY/2)
/// +------------------------------------+
/// |           Name (string)            |
/// +------------------------------------+
/// |     Length of value  (int32)       |   (int16 in SPDY/2)
/// +------------------------------------+
/// |          Value   (string)          |   several values joined by one NUL
/// +------------------------------------+
/// |           (repeats)                |
/// </code>
/// Names and values are octets; they map to strings as Latin-1 (one char per byte).
/// </summary>
public static class HeaderBlockCodec
{
    /// <summary>Bytes the serialized block will take.</summary>
    public static int GetSerializedLength(HeaderList headers, int lengthFieldSize)
    {
        var length = lengthFieldSize;
        foreach (var entry in headers.Entries)
        {
            length += lengthFieldSize + entry.Name.Length + lengthFieldSize;
            for (var i = 0; i < entry.Count; i++)
            {
                length += entry[i].Length;
            }

            length += entry.Count - 1; // the NUL separators
        }

        return length;
    }

    /// <summary>Writes the uncompressed block; returns its length.</summary>
    public static int Serialize(HeaderList headers, int lengthFieldSize, IBufferWriter<byte> output)
    {
        var total = GetSerializedLength(headers, lengthFieldSize);
        var span = output.GetSpan(total);
        var position = 0;
        WriteLength(span, ref position, headers.Entries.Count, lengthFieldSize);
        foreach (var entry in headers.Entries)
        {
            WriteLength(span, ref position, entry.Name.Length, lengthFieldSize);
            position += Encoding.Latin1.GetBytes(entry.Name, span[position..]);
            var valueLength = entry.Count - 1;
            for (var i = 0; i < entry.Count; i++)
            {
                valueLength += entry[i].Length;
            }

            if (lengthFieldSize == 2 && (valueLength > ushort.MaxValue || entry.Name.Length > ushort.MaxValue))
            {
                throw new ArgumentException($"header {entry.Name} is too long for SPDY/2's 16-bit lengths");
            }

            WriteLength(span, ref position, valueLength, lengthFieldSize);
            for (var i = 0; i < entry.Count; i++)
            {
                if (i > 0)
                {
                    span[position++] = 0;
                }

                position += Encoding.Latin1.GetBytes(entry[i], span[position..]);
            }
        }

        output.Advance(total);
        return total;
    }

    /// <summary>
    /// Parses an uncompressed block. Violations are stream errors with PROTOCOL_ERROR (spdy3 §2.6.10: zero-length
    /// name, illegal value such as a leading, trailing or doubled NUL, duplicate names, truncated block).
    /// </summary>
    public static HeaderList Parse(ReadOnlySpan<byte> block, int lengthFieldSize, int streamId) => Parse(block, lengthFieldSize, streamId, null);

    /// <summary>As <see cref="Parse(ReadOnlySpan{byte}, int, int)"/>; header values found in <paramref name="values"/>
    /// (the session's recent ones: a client repeats its host, user agent, accept... on every request) are not allocated again.</summary>
    internal static HeaderList Parse(ReadOnlySpan<byte> block, int lengthFieldSize, int streamId, RecentStrings? values)
    {
        var position = 0;
        var count = ReadLength(block, ref position, lengthFieldSize, streamId);
        // Sized from the pair count (bounded: the count is the peer's word), so a usual block fills one array.
        var headers = new HeaderList((int)Math.Min(count, 32));
        for (long i = 0; i < count; i++)
        {
            var nameLength = ReadLength(block, ref position, lengthFieldSize, streamId);
            if (nameLength == 0)
            {
                throw SpdyProtocolException.StreamError(streamId, RstStatus.ProtocolError, "zero-length header name");
            }

            var name = ReadBytes(block, ref position, nameLength, streamId);
            if (name.IndexOf((byte)0) >= 0)
            {
                throw SpdyProtocolException.StreamError(streamId, RstStatus.ProtocolError, "NUL in a header name");
            }

            var nameText = Known(name) ?? Encoding.Latin1.GetString(name).ToLowerInvariant();
            // A hostile block can hold tens of thousands of tiny pairs: HeaderList indexes its names past a few,
            // so this stays linear; a usual block of a dozen names is scanned without allocating a set.
            if (headers.HasLowercaseName(nameText))
            {
                throw SpdyProtocolException.StreamError(streamId, RstStatus.ProtocolError, $"duplicate header name '{nameText}'");
            }

            var valueLength = ReadLength(block, ref position, lengthFieldSize, streamId);
            var value = ReadBytes(block, ref position, valueLength, streamId);
            if (value.Length > 0 && (value[0] == 0 || value[^1] == 0 || value.IndexOf((ReadOnlySpan<byte>)[0, 0]) >= 0))
            {
                throw SpdyProtocolException.StreamError(streamId, RstStatus.ProtocolError, $"illegal NUL placement in the value of '{nameText}'");
            }

            HeaderList.Entry? entry = null;
            if (value.Length == 0)
            {
                entry = new HeaderList.Entry(nameText, string.Empty);
            }
            else
            {
                foreach (var range in value.Split((byte)0))
                {
                    var text = Known(value[range]) ?? values?.Get(value[range]) ?? Encoding.Latin1.GetString(value[range]);
                    if (entry is null)
                    {
                        entry = new HeaderList.Entry(nameText, text);
                    }
                    else
                    {
                        entry.Add(text);
                    }
                }
            }

            headers.AddEntry(entry!);
        }

        if (position != block.Length)
        {
            throw SpdyProtocolException.StreamError(streamId, RstStatus.ProtocolError, $"{block.Length - position} bytes after the last header pair");
        }

        return headers;
    }

    /// <summary>Names and values nearly every request or response carries, handed out as one shared string each
    /// instead of a new one per header block.</summary>
    private static readonly string[] KnownStrings =
    [
        ":method", ":path", ":version", ":host", ":scheme", ":status", "method", "url", "version", "host", "scheme", "status",
        "GET", "HTTP/1.1", "http", "https", "200 OK", "user-agent", "accept", "accept-encoding", "accept-language",
        "content-type", "content-length", "cache-control", "date", "server", "x-associated-content",
    ];

    // The known strings grouped by length (index = byte length), so a lookup compares with one to three candidates
    // instead of walking the whole list: it runs for every name and value of every header block.
    private static readonly (byte[] Bytes, string Text)[][] KnownByLength = BuildKnownByLength();

    private static (byte[] Bytes, string Text)[][] BuildKnownByLength()
    {
        var table = new (byte[] Bytes, string Text)[KnownStrings.Max(k => k.Length) + 1][];
        for (var length = 0; length < table.Length; length++)
        {
            table[length] = [.. KnownStrings.Where(k => k.Length == length).Select(k => (Encoding.Latin1.GetBytes(k), k))];
        }

        return table;
    }

    /// <summary>The shared string for these exact bytes (case-sensitive: names are lowercased only when new), or null.</summary>
    private static string? Known(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= KnownByLength.Length)
        {
            return null;
        }

        foreach (var (known, text) in KnownByLength[bytes.Length])
        {
            if (bytes.SequenceEqual(known))
            {
                return text;
            }
        }

        return null;
    }

    private static void WriteLength(Span<byte> span, ref int position, int value, int size)
    {
        if (size == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[position..], checked((ushort)value));
        }
        else
        {
            BinaryPrimitives.WriteInt32BigEndian(span[position..], value);
        }

        position += size;
    }

    private static int ReadLength(ReadOnlySpan<byte> block, ref int position, int size, int streamId)
    {
        if (block.Length - position < size)
        {
            throw SpdyProtocolException.StreamError(streamId, RstStatus.ProtocolError, "truncated header block");
        }

        uint value = size == 2
            ? BinaryPrimitives.ReadUInt16BigEndian(block[position..])
            : BinaryPrimitives.ReadUInt32BigEndian(block[position..]);
        position += size;
        if (value > int.MaxValue)
        {
            throw SpdyProtocolException.StreamError(streamId, RstStatus.ProtocolError, "header length out of range");
        }

        return (int)value;
    }

    private static ReadOnlySpan<byte> ReadBytes(ReadOnlySpan<byte> block, ref int position, int length, int streamId)
    {
        if (block.Length - position < length)
        {
            throw SpdyProtocolException.StreamError(streamId, RstStatus.ProtocolError, "truncated header block");
        }

        var bytes = block.Slice(position, length);
        position += length;
        return bytes;
    }
}

/// <summary>
/// The strings of recently decoded header values, looked up by their bytes: a small direct-mapped cache (one slot per
/// hash bucket, replaced on a miss) for one decoder, so one thread. Short values only; a hit costs a hash and a compare.
/// </summary>
internal sealed class RecentStrings
{
    private const int Slots = 64;
    private const int MaxLength = 256;

    private readonly string?[] _strings = new string[Slots];

    /// <summary>The string for <paramref name="bytes"/> (Latin-1), from the cache or made and remembered. A miss costs
    /// nothing more than the string it makes.</summary>
    public string? Get(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength)
        {
            return null;
        }

        var slot = (int)(Fnv1a(bytes) % Slots);
        if (_strings[slot] is { } cached && SameLatin1(bytes, cached))
        {
            return cached;
        }

        var text = Encoding.Latin1.GetString(bytes);
        _strings[slot] = text;
        return text;
    }

    /// <summary>FNV-1a: deterministic, unlike <see cref="HashCode"/> (seeded per process), so which values share
    /// a slot is the same in every run. A collision, chosen or not, only costs a miss.</summary>
    private static uint Fnv1a(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }

    private static bool SameLatin1(ReadOnlySpan<byte> bytes, string text)
    {
        if (bytes.Length != text.Length)
        {
            return false;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }
}
