using System.Text;

namespace SpdyLab.Client.Http2.Hpack;

/// <summary>A header decoding failure (RFC 7541 §2.3.3, §5, §6): the whole connection's HPACK state is then unusable.</summary>
public sealed class HpackDecodingException(string message) : Exception(message);

/// <summary>
/// HPACK's dynamic table (RFC 7541 §2.3.2, §4): entries in insertion order, the newest at index 62,
/// evicted oldest-first when the size (name + value octets + 32 per entry, §4.1) would exceed the maximum.
/// Names and values are octets; strings hold them one char per octet (Latin-1).
/// </summary>
public sealed class HpackDynamicTable(int maxSize)
{
    /// <summary>§4.1: each entry costs its name and value length plus 32 octets.</summary>
    public const int EntryOverhead = 32;

    private readonly List<(string Name, string Value)> _entries = []; // oldest first

    public int MaxSize { get; private set; } = maxSize;

    public int Size { get; private set; }

    public int Count => _entries.Count;

    public static int EntrySize(string name, string value) => name.Length + value.Length + EntryOverhead;

    /// <summary>Entry at dynamic position <paramref name="position"/> (0 = newest, i.e. index 62).</summary>
    public (string Name, string Value) this[int position] => _entries[_entries.Count - 1 - position];

    /// <summary>§4.4: evicts until the entry fits, then adds it; an entry larger than the table empties it and is not added.</summary>
    public void Add(string name, string value)
    {
        var size = EntrySize(name, value);
        while (_entries.Count > 0 && Size + size > MaxSize)
        {
            EvictOldest();
        }

        if (size <= MaxSize)
        {
            _entries.Add((name, value));
            Size += size;
        }
    }

    /// <summary>§4.3: a new maximum evicts entries until the table fits.</summary>
    public void SetMaxSize(int maxSize)
    {
        MaxSize = maxSize;
        while (Size > MaxSize)
        {
            EvictOldest();
        }
    }

    /// <summary>Dynamic position (0 = newest) of the first entry with this name and value, or -1.</summary>
    public int IndexOf(string name, string value)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Name == name && _entries[i].Value == value)
            {
                return _entries.Count - 1 - i;
            }
        }

        return -1;
    }

    /// <summary>Dynamic position of the newest entry with this name, or -1.</summary>
    public int IndexOfName(string name)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Name == name)
            {
                return _entries.Count - 1 - i;
            }
        }

        return -1;
    }

    private void EvictOldest()
    {
        Size -= EntrySize(_entries[0].Name, _entries[0].Value);
        _entries.RemoveAt(0);
    }

    /// <summary>Header octets as a string, one char per octet.</summary>
    internal static string Octets(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
