using System.Collections;

namespace SpdyLab.Protocol;

/// <summary>
/// An ordered header set as SPDY carries it: lowercase names, each name once, each name with one or more
/// values (NUL-joined into one value on the wire, spdy3 §2.6.10). Lookups are linear: header sets are small.
/// Enumeration yields one (name, value) pair per value, in insertion order.
/// </summary>
public sealed class HeaderList : IEnumerable<KeyValuePair<string, string>>
{
    private const int IndexThreshold = 16;

    private readonly List<Entry> _entries;

    // Built once the list grows past a few names, so hostile blocks with thousands of names stay linear.
    private Dictionary<string, Entry>? _index;

    public HeaderList()
    {
        _entries = new();
    }

    /// <summary>An empty list with room for <paramref name="capacity"/> names.</summary>
    public HeaderList(int capacity)
    {
        _entries = new(capacity);
    }

    public HeaderList(IEnumerable<KeyValuePair<string, string>> headers)
    {
        _entries = new();
        foreach (var header in headers)
        {
            Add(header.Key, header.Value);
        }
    }

    /// <summary>
    /// Set on a list rented from a session (<see cref="SpdySession.RentHeaderList"/>): the session's writer takes it back
    /// once the frame carrying it is serialized, so whoever queued it must not touch it after handing it over.
    /// </summary>
    internal bool ReturnsToSession { get; set; }

    /// <summary>Empties the list for another header block, keeping its entry array and entry objects.</summary>
    internal void ClearForReuse()
    {
        if (_entries.Count > 0)
        {
            (_spare ??= new List<Entry>(_entries.Count)).AddRange(_entries);
            _entries.Clear();
        }
        _index = null;
    }

    // Entries of the last header block of a recycled list, reused by Add/Set.
    private List<Entry>? _spare;

    private Entry NewEntry(string name, string value)
    {
        if (_spare is { Count: > 0 } spare)
        {
            var entry = spare[^1];
            spare.RemoveAt(spare.Count - 1);
            return entry.Reuse(name, value);
        }
        return new Entry(name, value);
    }

    /// <summary>Number of distinct names (the wire's name/value pair count).</summary>
    public int NameCount => _entries.Count;

    /// <summary>The distinct names in insertion order.</summary>
    public IEnumerable<string> Names => _entries.Select(e => e.Name);

    /// <summary>Appends a value. The name is lowercased (SPDY requires lowercase names); a repeated name
    /// gets an extra value, sent NUL-joined.</summary>
    public HeaderList Add(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        name = LowerAscii(name);
        var entry = Find(name);
        if (entry is null)
        {
            AddEntry(NewEntry(name, value));
        }
        else
        {
            entry.Add(value);
        }

        return this;
    }

    /// <summary>Replaces every value of the name with one value.</summary>
    public HeaderList Set(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        name = LowerAscii(name);
        var entry = Find(name);
        if (entry is null)
        {
            AddEntry(NewEntry(name, value));
        }
        else
        {
            entry.Reset(value);
        }

        return this;
    }

    public bool Remove(string name)
    {
        var entry = Find(LowerAscii(name));
        if (entry is null)
        {
            return false;
        }

        _index?.Remove(entry.Name);
        return _entries.Remove(entry);
    }

    public bool Contains(string name) => Find(LowerAscii(name)) is not null;

    /// <summary>The first value of the name, or null.</summary>
    public string? Get(string name) => Find(LowerAscii(name))?.First;

    /// <summary>Every value of the name (empty if absent).</summary>
    public IReadOnlyList<string> GetValues(string name) => Find(LowerAscii(name))?.Values ?? Array.Empty<string>();

    /// <summary>The value as it goes on the wire: all values joined by NUL.</summary>
    public string? GetJoined(string name)
    {
        var entry = Find(LowerAscii(name));
        return entry is null ? null : entry.Count == 1 ? entry.First : string.Join('\0', entry.Values);
    }

    public string? this[string name] => Get(name);

    /// <summary>Each name once with its values, in insertion order (what the encoder writes).</summary>
    public IEnumerable<(string Name, IReadOnlyList<string> Values)> Groups => _entries.Select(e => (e.Name, e.Values));

    // List, not IReadOnlyList: foreach over it then uses the struct enumerator (no allocation per header block).
    internal List<Entry> Entries => _entries;

    /// <summary>Appends a name known to be absent (the decoder checks duplicates itself).</summary>
    internal void AddEntry(Entry entry)
    {
        _entries.Add(entry);
        if (_index is not null)
        {
            _index[entry.Name] = entry;
        }
        else if (_entries.Count > IndexThreshold)
        {
            _index = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var e in _entries)
            {
                _index.TryAdd(e.Name, e);
            }
        }
    }

    public HeaderList Clone()
    {
        var copy = new HeaderList();
        foreach (var entry in _entries)
        {
            copy.AddEntry(entry.Copy());
        }

        return copy;
    }

    /// <summary>A struct enumerator: foreach over a header list (the server does it per request) allocates nothing.</summary>
    public Enumerator GetEnumerator() => new(_entries);

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One (name, value) pair per value, in insertion order.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, string>>
    {
        private readonly List<Entry> _entries;
        private int _entry;
        private int _value;

        internal Enumerator(List<Entry> entries)
        {
            _entries = entries;
            _entry = 0;
            _value = -1;
            Current = default;
        }

        public KeyValuePair<string, string> Current { get; private set; }

        readonly object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            while (_entry < _entries.Count)
            {
                var entry = _entries[_entry];
                if (++_value < entry.Count)
                {
                    Current = new KeyValuePair<string, string>(entry.Name, entry[_value]);
                    return true;
                }

                _entry++;
                _value = -1;
            }

            return false;
        }

        public void Reset()
        {
            _entry = 0;
            _value = -1;
            Current = default;
        }

        public readonly void Dispose()
        {
        }
    }

    public override string ToString() => string.Join(", ", this.Select(h => $"{h.Key}: {h.Value}"));

    /// <summary>Whether a name (already lowercase) is present: linear for a few names, indexed past a few.</summary>
    internal bool HasLowercaseName(string name) => Find(name) is not null;

    private Entry? Find(string name)
    {
        if (_index is not null)
        {
            return _index.GetValueOrDefault(name);
        }

        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Name, name, StringComparison.Ordinal))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>The name lowercased: the same string when it has no ASCII capital (the usual case, no allocation).</summary>
    internal static string LowerAscii(string name)
    {
        foreach (var c in name)
        {
            if (c is >= 'A' and <= 'Z')
            {
                return name.ToLowerInvariant();
            }
        }

        return name;
    }

    /// <summary>
    /// One name and its values. Nearly every header has one value: it is held in a field, and a list is made only
    /// for a second value (a list per name was a good part of what a small request allocated).
    /// </summary>
    internal sealed class Entry(string name, string first)
    {
        private string _first = first;
        private List<string>? _more;

        public string Name { get; private set; } = name;

        /// <summary>Another name and value in a recycled list (<see cref="HeaderList.ClearForReuse"/>).</summary>
        public Entry Reuse(string name, string value)
        {
            Name = name;
            _first = value;
            _more = null;
            return this;
        }

        public string First => _first;

        public int Count => 1 + (_more?.Count ?? 0);

        public string this[int index] => index == 0 ? _first : _more![index - 1];

        /// <summary>The values as a list (allocates: for callers that ask for all values, not for the codec).</summary>
        public IReadOnlyList<string> Values => _more is null ? [_first] : [_first, .. _more];

        public void Add(string value) => (_more ??= []).Add(value);

        public void Reset(string value)
        {
            _first = value;
            _more = null;
        }

        public Entry Copy()
        {
            var copy = new Entry(Name, _first);
            if (_more is not null)
            {
                copy._more = [.. _more];
            }

            return copy;
        }
    }
}
