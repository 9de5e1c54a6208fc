using System.Globalization;
using System.Net;

namespace SpdyLab.Client;

/// <summary>
/// Name resolution overrides, as curl's <c>--resolve HOST:PORT:ADDR[,ADDR...]</c>: a connection to HOST
/// on PORT goes to ADDR instead of what DNS says. HOST "*" matches any host. IPv6 addresses may be
/// bracketed (<c>[::1]</c>).
/// </summary>
public sealed class ResolveMap
{
    private readonly Dictionary<(string Host, int Port), IReadOnlyList<IPAddress>> _entries = new();

    public int Count => _entries.Count;

    /// <summary>Parses one HOST:PORT:ADDR entry; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public void Add(string entry)
    {
        var first = entry.IndexOf(':');
        var second = first < 0 ? -1 : entry.IndexOf(':', first + 1);
        if (first <= 0 || second < 0)
        {
            throw new FormatException($"'{entry}' is not HOST:PORT:ADDR (e.g. example.com:443:127.0.0.1)");
        }

        var host = entry[..first].ToLowerInvariant();
        var portText = entry[(first + 1)..second];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"'{entry}': port '{portText}' is not a number from 1 to 65535");
        }

        var addresses = new List<IPAddress>();
        foreach (var part in entry[(second + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = part.StartsWith('[') && part.EndsWith(']') ? part[1..^1] : part;
            if (!IPAddress.TryParse(text, out var address))
            {
                throw new FormatException($"'{entry}': '{part}' is not an IP address");
            }

            addresses.Add(address);
        }

        if (addresses.Count == 0)
        {
            throw new FormatException($"'{entry}': no address after HOST:PORT:");
        }

        _entries[(host, port)] = addresses;
    }

    /// <summary>The override for host:port (exact host first, then "*"), or null.</summary>
    public IReadOnlyList<IPAddress>? Lookup(string host, int port)
    {
        if (_entries.TryGetValue((host.ToLowerInvariant(), port), out var addresses))
        {
            return addresses;
        }

        return _entries.TryGetValue(("*", port), out addresses) ? addresses : null;
    }
}
