using System.Globalization;
using System.Net;

namespace SpdyLab.Client.PageLoad;

/// <summary>
/// Name resolution for a page load (no DNS): each host name maps to the address and port that serves
/// it, or every host goes to one endpoint (the lab's single-address server).
/// </summary>
public sealed class HostMap
{
    private readonly Dictionary<string, IPEndPoint> _hosts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where hosts not listed go; null means unlisted hosts fail.</summary>
    public IPEndPoint? Default { get; init; }

    public IReadOnlyDictionary<string, IPEndPoint> Hosts => _hosts;

    public static HostMap All(IPEndPoint endpoint) => new() { Default = endpoint };

    public void Add(string host, IPEndPoint endpoint) => _hosts[host] = endpoint;

    /// <summary>The endpoint for host (names without port); throws when unknown.</summary>
    public IPEndPoint Resolve(string host)
    {
        if (_hosts.TryGetValue(host, out var endpoint))
        {
            return endpoint;
        }

        var colon = host.LastIndexOf(':');
        if (colon > 0 && !host.EndsWith(']') && _hosts.TryGetValue(host[..colon], out endpoint))
        {
            return endpoint;
        }

        if (Default is { } fallback)
        {
            return fallback;
        }

        throw new PageLoadException($"no address for host '{host}' in the host map (add a line '{host} ADDR:PORT')");
    }

    /// <summary>
    /// Reads a hosts file: one "HOST ADDR:PORT" (or "HOST ADDR", port 80) per line; '#' starts a comment;
    /// HOST "*" sets the default.
    /// </summary>
    public static HostMap Parse(IEnumerable<string> lines, string source)
    {
        IPEndPoint? fallback = null;
        var entries = new List<(string, IPEndPoint)>();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw;
            var hash = line.IndexOf('#');
            if (hash >= 0)
            {
                line = line[..hash];
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            if (parts.Length != 2 || ParseEndpoint(parts[1]) is not { } endpoint)
            {
                throw new FormatException($"{source}:{number}: '{raw.Trim()}' is not 'HOST ADDR:PORT' (e.g. www.example.com 10.0.0.2:80)");
            }

            if (parts[0] == "*")
            {
                fallback = endpoint;
            }
            else
            {
                entries.Add((parts[0].ToLowerInvariant(), endpoint));
            }
        }

        var map = new HostMap { Default = fallback };
        foreach (var (host, endpoint) in entries)
        {
            map.Add(host, endpoint);
        }

        return map;
    }

    /// <summary>ADDR:PORT, [v6]:PORT or a bare address (port 80); null if not an endpoint.</summary>
    public static IPEndPoint? ParseEndpoint(string text)
    {
        if (IPAddress.TryParse(text, out var bare) && !text.Contains("]:", StringComparison.Ordinal) && (bare.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || !text.Contains(':')))
        {
            return new IPEndPoint(bare, 80);
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return null;
        }

        var address = text[..colon];
        if (address == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(address.Trim('[', ']'), out var parsed) ? new IPEndPoint(parsed, port) : null;
    }
}

/// <summary>A page load that could not run (the page's resources failing is reported in the result instead).</summary>
public sealed class PageLoadException(string message, Exception? inner = null) : Exception(message, inner);
