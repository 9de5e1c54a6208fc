using System.Text;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Fuzzing;

/// <summary>What the engine must answer to a header block (spdy3 §2.6.10, §2.6.10.1; docs/protocol.md).</summary>
public enum BlockVerdict
{
    /// <summary>Well formed: the frame is processed.</summary>
    Valid,

    /// <summary>Well formed although odd (uppercase or non-ASCII names, empty values, no :method): the engine
    /// passes it on; the spec prescribes no frame-level error (a server answers 400 to an incomplete request).</summary>
    Accepted,

    /// <summary>Inflates, but the pairs are illegal (empty name, NUL misplaced, duplicate, counts or lengths that
    /// overrun the block, trailing bytes): RST_STREAM PROTOCOL_ERROR, the session reads on.</summary>
    StreamError,

    /// <summary>Does not inflate, or inflates past the limit: GOAWAY PROTOCOL_ERROR (the zlib context is lost).</summary>
    SessionError,

    /// <summary>Corrupt zlib that may happen to inflate to garbage: either of the two errors, nothing else.</summary>
    StreamOrSessionError,

    /// <summary>Corrupt deflate data that may still inflate to a valid block (a changed literal): any answer but a crash or hang.</summary>
    Unknown,
}

/// <summary>A header block as sent on the wire and the answer it calls for.</summary>
public sealed record FuzzBlock(byte[] Compressed, BlockVerdict Verdict, string Description)
{
    /// <summary>The names the engine will see (lowercased), for blocks that parse; empty otherwise.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>True when the peer's deflate context and the session's inflate context stay in step.</summary>
    public bool KeepsZlibInStep => Verdict is BlockVerdict.Valid or BlockVerdict.Accepted or BlockVerdict.StreamError;
}

/// <summary>
/// Makes header blocks from a base header set: valid ones, valid zlib with bad contents (duplicate, empty,
/// uppercase and NUL-laden names, misplaced NULs in values, missing required headers, huge or lying counts and
/// lengths, trailing bytes, thousands of pairs) and bad zlib (random bytes, flipped or truncated deflate output,
/// the other version's dictionary, an empty block, a decompression bomb).
/// </summary>
internal sealed class HeaderBlockFuzzer(SpdyVersion version, PeerZlib zlib, int maxHeaderBlockSize)
{
    private bool Is2 => version == SpdyVersion.Spdy2;

    /// <summary>Header blocks compressed so far with <see cref="zlib"/> (the first one carries the zlib header).</summary>
    public int BlocksCompressed { get; private set; }

    public FuzzBlock Valid(IReadOnlyList<(string Name, string Value)> pairs, string what = "valid") =>
        new(Compress(Encode(pairs.Select(p => (Latin(p.Name), Latin(p.Value))).ToList())), BlockVerdict.Valid, what)
        {
            Names = pairs.Select(p => p.Name.ToLowerInvariant()).ToList(),
        };

    /// <summary>A block made from <paramref name="pairs"/>: usually valid, often with one defect.</summary>
    public FuzzBlock Make(Random random, IReadOnlyList<(string Name, string Value)> pairs, bool allowDefects = true)
    {
        if (!allowDefects || random.Next(3) == 0)
        {
            return Valid(pairs);
        }

        return random.Next(10) < 7 ? BadContents(random, pairs) : BadZlib(random, pairs);
    }

    /// <summary>Valid zlib (the session's context stays in step) around a block whose contents are wrong or odd.</summary>
    public FuzzBlock BadContents(Random random, IReadOnlyList<(string Name, string Value)> pairs)
    {
        var list = pairs.Select(p => (Name: Latin(p.Name), Value: Latin(p.Value))).ToList();
        int? countOverride = null;
        byte[] trailing = [];
        string what;
        var verdict = BlockVerdict.StreamError;
        switch (random.Next(16))
        {
            case 0:
                var copy = list[random.Next(list.Count)];
                list.Insert(random.Next(list.Count + 1), (copy.Name, Latin("again")));
                what = $"duplicate name {Encoding.Latin1.GetString(copy.Name)}";
                break;
            case 1:
                var first = list[random.Next(list.Count)];
                list.Add((Latin(Encoding.Latin1.GetString(first.Name).ToUpperInvariant()), Latin("x")));
                what = "the same name in upper case (a duplicate once lowercased)";
                break;
            case 2:
                list.Insert(random.Next(list.Count + 1), ([], Latin("v")));
                what = "empty name";
                break;
            case 3:
                list.Add((Latin("x-nul\0name"), Latin("v")));
                what = "NUL in a name";
                break;
            case 4:
                var nulValue = random.Next(3) switch { 0 => "\0lead", 1 => "trail\0", _ => "dou\0\0ble" };
                list.Add((Latin("x-value"), Latin(nulValue)));
                what = "misplaced NUL in a value";
                break;
            case 5:
                countOverride = list.Count + 1 + random.Next(Is2 ? 60000 : 1_000_000_000);
                what = $"count {countOverride} for {list.Count} pairs";
                break;
            case 6:
                countOverride = Math.Max(0, list.Count - 1 - random.Next(list.Count));
                what = $"count {countOverride} for {list.Count} pairs (trailing pairs)";
                break;
            case 7:
                trailing = RandomBytes(random, 1 + random.Next(8));
                what = "bytes after the last pair";
                break;
            case 8:
                return LyingLength(random, list);
            case 9:
                list.Add((Latin("X-Upper-Case"), Latin("v")));
                verdict = BlockVerdict.Accepted;
                what = "an uppercase name (lowercased by the engine)";
                break;
            case 10:
                list.Add((Latin("x-empty"), []));
                verdict = BlockVerdict.Accepted;
                what = "an empty value";
                break;
            case 11:
                list.RemoveAt(random.Next(list.Count));
                verdict = BlockVerdict.Accepted;
                what = "a required header missing";
                break;
            case 12:
                list.Add((Latin("x-multi"), Latin("a\0b\0c")));
                verdict = BlockVerdict.Accepted;
                what = "a NUL-separated multi-value";
                break;
            case 13:
                list.Add(([0xC3, 0xA9, 0x7F, 0x01], RandomBytes(random, 20, noNul: true)));
                verdict = BlockVerdict.Accepted;
                what = "non-ASCII bytes in a name and value";
                break;
            case 14:
                // Thousands of small pairs: under the limit they are accepted, over it the block is a bomb.
                var many = 200 + random.Next(3000);
                for (var i = 0; i < many; i++)
                {
                    list.Add((Latin($"x-h{i}"), Latin("v")));
                }

                verdict = RawSize(list) > maxHeaderBlockSize ? BlockVerdict.SessionError : BlockVerdict.Accepted;
                what = $"{many} extra pairs";
                break;
            default:
                list.Clear();
                verdict = BlockVerdict.Accepted;
                what = "no pairs at all";
                break;
        }

        var raw = Encode(list, countOverride, trailing);
        if (raw.Length > maxHeaderBlockSize)
        {
            verdict = BlockVerdict.SessionError;
        }

        return new FuzzBlock(Compress(raw), verdict, what)
        {
            Names = verdict == BlockVerdict.Accepted ? list.Select(p => Encoding.Latin1.GetString(p.Name).ToLowerInvariant()).ToList() : [],
        };
    }

    /// <summary>Bad zlib: the session's inflate context cannot follow.</summary>
    public FuzzBlock BadZlib(Random random, IReadOnlyList<(string Name, string Value)> pairs)
    {
        var raw = Encode(pairs.Select(p => (Latin(p.Name), Latin(p.Value))).ToList());
        switch (random.Next(7))
        {
            case 0:
                return new FuzzBlock(RandomBytes(random, 1 + random.Next(200)), BlockVerdict.StreamOrSessionError, "random bytes");
            case 1:
                var flipped = Compress(raw);
                flipped[random.Next(flipped.Length)] ^= (byte)(1 + random.Next(255));
                return new FuzzBlock(flipped, BlockVerdict.Unknown, "deflate output with a flipped byte");
            case 2:
                var whole = Compress(raw);
                // Cut inside the data: cutting only the sync-flush marker (00 00 ff ff) still inflates the whole block.
                return new FuzzBlock(whole[..random.Next(Math.Max(1, whole.Length - 6))], BlockVerdict.StreamOrSessionError, "truncated deflate output");
            case 3:
                // A fresh stream primed with the other version's dictionary: the first block's DICTID is wrong;
                // later, its zlib header is garbage in the middle of the session's stream.
                using (var other = new PeerZlib(PeerZlib.LoadDictionary(Is2 ? SpdyVersion.Spdy3 : SpdyVersion.Spdy2)))
                {
                    var verdict = BlocksCompressed == 0 ? BlockVerdict.SessionError : BlockVerdict.StreamOrSessionError;
                    return new FuzzBlock(other.Compress(raw), verdict, "compressed with the other version's dictionary");
                }

            case 4:
                return new FuzzBlock([], BlockVerdict.StreamError, "an empty header block (no count)");
            case 5:
                return Bomb(random, pairs);
            default:
                // A stored (uncompressed) deflate block is legal zlib; a bare NV block without deflate framing is not.
                return new FuzzBlock(raw, BlockVerdict.StreamOrSessionError, "the block sent uncompressed");
        }
    }

    /// <summary>Header pairs inflating far past the limit from a few KB on the wire.</summary>
    public FuzzBlock Bomb(Random random, IReadOnlyList<(string Name, string Value)> pairs)
    {
        var list = pairs.Select(p => (Latin(p.Name), Latin(p.Value))).ToList();
        var size = maxHeaderBlockSize + 1 + random.Next(Is2 ? 60000 - maxHeaderBlockSize : 4 * maxHeaderBlockSize);
        list.Add((Latin("x-bomb"), Enumerable.Repeat((byte)'a', Math.Min(size, Is2 ? 65535 : int.MaxValue)).ToArray()));
        var raw = Encode(list);
        var verdict = raw.Length > maxHeaderBlockSize ? BlockVerdict.SessionError : BlockVerdict.Accepted;
        return new FuzzBlock(Compress(raw), verdict, $"a {raw.Length}-byte block (bomb)");
    }

    private FuzzBlock LyingLength(Random random, List<(byte[] Name, byte[] Value)> list)
    {
        // A name or value length that runs past the end of the block.
        var raw = Encode(list).ToList();
        var extraName = Latin("x-lie");
        Length(raw, extraName.Length);
        raw.AddRange(extraName);
        Length(raw, 1000 + random.Next(100000) % (Is2 ? 60000 : 100000));
        raw.AddRange(Latin("short"));
        // Fix up the count to include the lying pair.
        var count = list.Count + 1;
        if (Is2)
        {
            raw[0] = (byte)(count >> 8);
            raw[1] = (byte)count;
        }
        else
        {
            raw[0] = (byte)(count >> 24);
            raw[1] = (byte)(count >> 16);
            raw[2] = (byte)(count >> 8);
            raw[3] = (byte)count;
        }

        return new FuzzBlock(Compress(raw.ToArray()), BlockVerdict.StreamError, "a value length past the end of the block");
    }

    private byte[] Compress(byte[] raw)
    {
        BlocksCompressed++;
        return zlib.Compress(raw);
    }

    private int RawSize(List<(byte[] Name, byte[] Value)> list) =>
        (Is2 ? 2 : 4) + list.Sum(p => (Is2 ? 4 : 8) + p.Name.Length + p.Value.Length);

    /// <summary>count, then (name length, name, value length, value) pairs; 16-bit fields in SPDY/2, 32-bit after.</summary>
    private byte[] Encode(List<(byte[] Name, byte[] Value)> pairs, int? countOverride = null, byte[]? trailing = null)
    {
        var b = new List<byte>(RawSize(pairs) + 8);
        Length(b, countOverride ?? pairs.Count);
        foreach (var (name, value) in pairs)
        {
            Length(b, name.Length);
            b.AddRange(name);
            Length(b, value.Length);
            b.AddRange(value);
        }

        if (trailing is not null)
        {
            b.AddRange(trailing);
        }

        return b.ToArray();
    }

    private void Length(List<byte> b, int n)
    {
        if (Is2)
        {
            PeerFrames.Put16(b, Math.Min(n, 0xFFFF));
        }
        else
        {
            PeerFrames.Put32(b, n);
        }
    }

    private static byte[] Latin(string text) => Encoding.Latin1.GetBytes(text);

    internal static byte[] RandomBytes(Random random, int length, bool noNul = false)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        if (noNul)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = bytes[i] == 0 ? (byte)1 : bytes[i];
            }
        }

        return bytes;
    }
}
