using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Replay;

/// <summary>Which recorded resources belong to which document, for push and hint headers.</summary>
public static class Subresources
{
    /// <summary>
    /// For each document (a 200 text/html exchange), the GET exchanges whose initiator chain leads to it
    /// without passing through another document (an iframe's resources belong to the iframe), kept
    /// when <paramref name="isServedHere"/> accepts their host; in recorded order.
    /// </summary>
    public static Dictionary<int, List<ExchangeRecord>> ByDocument(Snapshot snapshot, Func<string, bool> isServedHere)
    {
        var byId = snapshot.Exchanges.ToDictionary(e => e.Id);
        var result = new Dictionary<int, List<ExchangeRecord>>();
        foreach (var exchange in snapshot.Exchanges)
        {
            if (IsDocument(exchange))
            {
                result[exchange.Id] = [];
            }
        }
        foreach (var exchange in snapshot.Exchanges)
        {
            if (IsDocument(exchange) || exchange.Method != "GET" || exchange.Status != 200 || !isServedHere(exchange.Host))
            {
                continue;
            }
            var seen = new HashSet<int>();
            var current = exchange;
            while (current.Initiator is { } parent && seen.Add(parent) && byId.TryGetValue(parent, out var next))
            {
                if (IsDocument(next))
                {
                    result[next.Id].Add(exchange);
                    break;
                }
                current = next;
            }
        }
        foreach (var (id, list) in result.ToList())
        {
            if (list.Count == 0)
            {
                result.Remove(id);
            }
        }
        return result;
    }

    public static bool IsDocument(ExchangeRecord exchange) =>
        exchange.Status == 200
        && (exchange.Type == "document"
            || (exchange.Type is null && exchange.ResponseHeader("Content-Type")?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true));

    /// <summary>mod_spdy's format: comma-separated, double-quoted absolute URLs; by default as recorded,
    /// else with the given scheme and port.</summary>
    public static string FormatHeader(IEnumerable<ExchangeRecord> resources, string? scheme = null, int? port = null) =>
        string.Join(", ", resources.Select(r => $"\"{scheme ?? r.Scheme}://{(port is { } p ? $"{r.Host.Split(':')[0]}:{p}" : r.Host)}{r.Path}\""));
}
