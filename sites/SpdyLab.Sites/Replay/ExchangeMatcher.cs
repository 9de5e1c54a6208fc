using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Replay;

/// <summary>
/// Finds the recorded exchange for a request. Rules, in order (deterministic: ties go to the exchange
/// recorded first):
/// 1. exact (method, scheme, host, path and query), through a dictionary: O(1);
/// 2. the same (method, host, path and query) under the other scheme (a recording made over http
///    replayed over SSL, or the reverse);
/// 3. the same (method, host, path) with the query sharing the most parameters (name=value pairs
///    count first, then names alone); the scheme as asked is preferred on a tie;
/// else no match (the caller answers 404). HEAD is answered from GET's recording when no HEAD was
/// recorded. A host with the scheme's default port matches the host without it.
/// </summary>
public sealed class ExchangeMatcher
{
    readonly Dictionary<(string Method, string Scheme, string Host, string PathAndQuery), ExchangeRecord> _exact = new();
    readonly Dictionary<(string Method, string Host, string PathAndQuery), ExchangeRecord> _anyScheme = new();
    readonly Dictionary<(string Method, string Host, string Path), List<ExchangeRecord>> _byPath = new();

    public ExchangeMatcher(IEnumerable<ExchangeRecord> exchanges)
    {
        foreach (var e in exchanges)
        {
            var method = e.Method.ToUpperInvariant();
            var host = NormalizeHost(e.Host, e.Scheme);
            _exact.TryAdd((method, e.Scheme, host, e.Path), e);
            _anyScheme.TryAdd((method, host, e.Path), e);
            var key = (method, host, PathOnly(e.Path));
            if (!_byPath.TryGetValue(key, out var list))
            {
                _byPath[key] = list = [];
            }
            list.Add(e);
        }
    }

    public enum MatchKind { None, Exact, OtherScheme, QueryOverlap }

    public (ExchangeRecord? Exchange, MatchKind Kind) Match(string method, string scheme, string host, string pathAndQuery)
    {
        method = method.ToUpperInvariant();
        scheme = scheme.ToLowerInvariant();
        host = NormalizeHost(host, scheme);
        var result = MatchMethod(method, scheme, host, pathAndQuery);
        if (result.Exchange is null && method == "HEAD")
        {
            result = MatchMethod("GET", scheme, host, pathAndQuery);
        }
        // A lab server listening on a non-default port gets "Host: name:port"; the recording has "name".
        // One numeric port is stripped, once: a hostile ":host" of thousands of colons costs one more lookup,
        // not one per colon.
        if (result.Exchange is null && host.LastIndexOf(':') is var colon and > 0 && colon < host.Length - 1
            && host.AsSpan(colon + 1).ContainsAnyExceptInRange('0', '9') is false)
        {
            var bare = host[..colon];
            result = MatchMethod(method, scheme, bare, pathAndQuery);
            if (result.Exchange is null && method == "HEAD")
            {
                result = MatchMethod("GET", scheme, bare, pathAndQuery);
            }
        }
        return result;
    }

    (ExchangeRecord? Exchange, MatchKind Kind) MatchMethod(string method, string scheme, string host, string pathAndQuery)
    {
        if (_exact.TryGetValue((method, scheme, host, pathAndQuery), out var exact))
        {
            return (exact, MatchKind.Exact);
        }
        if (_anyScheme.TryGetValue((method, host, pathAndQuery), out var other))
        {
            return (other, MatchKind.OtherScheme);
        }
        if (!_byPath.TryGetValue((method, host, PathOnly(pathAndQuery)), out var candidates))
        {
            return (null, MatchKind.None);
        }
        var wanted = QueryParameters(pathAndQuery);
        ExchangeRecord? best = null;
        var bestScore = (-1, -1, -1);
        foreach (var candidate in candidates) // recorded order, so a strict '>' keeps the first on ties
        {
            var have = QueryParameters(candidate.Path);
            var pairs = wanted.Count(p => have.Contains(p));
            var names = wanted.Select(p => p.Name).Distinct().Count(n => have.Any(h => h.Name == n));
            var score = (pairs, names, candidate.Scheme == scheme ? 1 : 0);
            if (score.CompareTo(bestScore) > 0)
            {
                best = candidate;
                bestScore = score;
            }
        }
        return (best, MatchKind.QueryOverlap);
    }

    /// <summary>Lower case, without the scheme's default port (":80" for http, ":443" for https).</summary>
    public static string NormalizeHost(string host, string scheme)
    {
        host = host.Trim().ToLowerInvariant();
        var defaultPort = scheme == "https" ? ":443" : ":80";
        return host.EndsWith(defaultPort, StringComparison.Ordinal) ? host[..^defaultPort.Length] : host;
    }

    static string PathOnly(string pathAndQuery)
    {
        var q = pathAndQuery.IndexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery[..q];
    }

    static List<(string Name, string Value)> QueryParameters(string pathAndQuery)
    {
        var q = pathAndQuery.IndexOf('?');
        if (q < 0)
        {
            return [];
        }
        return pathAndQuery[(q + 1)..]
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.IndexOf('=') is var eq and >= 0 ? (p[..eq], p[(eq + 1)..]) : (p, ""))
            .ToList();
    }
}
