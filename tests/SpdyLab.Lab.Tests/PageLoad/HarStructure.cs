using System.Text.Json.Nodes;

namespace SpdyLab.Lab.Tests.PageLoad;

/// <summary>
/// A structural check of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the required
/// fields of log, creator, pages, entries, request, response, content, cache and timings, with their
/// JSON types, and the timing rules (send, wait, receive not negative; others -1 or more).
/// </summary>
public static class HarStructure
{
    public static List<string> Check(JsonNode har)
    {
        var problems = new List<string>();
        var log = Require(har, "log", "", JsonType.Object, problems);
        if (log is null)
        {
            return problems;
        }

        Require(log, "version", "log", JsonType.String, problems);
        if (Require(log, "creator", "log", JsonType.Object, problems) is { } creator)
        {
            Require(creator, "name", "log.creator", JsonType.String, problems);
            Require(creator, "version", "log.creator", JsonType.String, problems);
        }

        var pageIds = new HashSet<string>();
        if (log["pages"] is JsonArray pages)
        {
            for (var i = 0; i < pages.Count; i++)
            {
                var where = $"log.pages[{i}]";
                Require(pages[i]!, "startedDateTime", where, JsonType.Date, problems);
                if (Require(pages[i]!, "id", where, JsonType.String, problems) is { } id)
                {
                    pageIds.Add(id.GetValue<string>());
                }

                Require(pages[i]!, "title", where, JsonType.String, problems);
                if (Require(pages[i]!, "pageTimings", where, JsonType.Object, problems) is { } timings)
                {
                    foreach (var name in new[] { "onContentLoad", "onLoad" })
                    {
                        if (timings[name] is { } value && value.GetValue<double>() < -1)
                        {
                            problems.Add($"{where}.pageTimings.{name}: below -1");
                        }
                    }
                }
            }
        }

        if (Require(log, "entries", "log", JsonType.Array, problems) is not JsonArray entries)
        {
            return problems;
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var where = $"log.entries[{i}]";
            var entry = entries[i]!;
            if (entry["pageref"] is { } pageref && !pageIds.Contains(pageref.GetValue<string>()))
            {
                problems.Add($"{where}.pageref: no page '{pageref}'");
            }

            Require(entry, "startedDateTime", where, JsonType.Date, problems);
            Require(entry, "time", where, JsonType.Number, problems);
            if (Require(entry, "request", where, JsonType.Object, problems) is { } request)
            {
                foreach (var (name, type) in new[] { ("method", JsonType.String), ("url", JsonType.String), ("httpVersion", JsonType.String), ("cookies", JsonType.Array), ("headers", JsonType.Array), ("queryString", JsonType.Array), ("headersSize", JsonType.Number), ("bodySize", JsonType.Number) })
                {
                    Require(request, name, where + ".request", type, problems);
                }

                NameValues(request["headers"], where + ".request.headers", problems);
            }

            if (Require(entry, "response", where, JsonType.Object, problems) is { } response)
            {
                foreach (var (name, type) in new[] { ("status", JsonType.Number), ("statusText", JsonType.String), ("httpVersion", JsonType.String), ("cookies", JsonType.Array), ("headers", JsonType.Array), ("content", JsonType.Object), ("redirectURL", JsonType.String), ("headersSize", JsonType.Number), ("bodySize", JsonType.Number) })
                {
                    Require(response, name, where + ".response", type, problems);
                }

                NameValues(response["headers"], where + ".response.headers", problems);
                if (response["content"] is JsonObject content)
                {
                    Require(content, "size", where + ".response.content", JsonType.Number, problems);
                    Require(content, "mimeType", where + ".response.content", JsonType.String, problems);
                }
            }

            Require(entry, "cache", where, JsonType.Object, problems);
            if (Require(entry, "timings", where, JsonType.Object, problems) is { } timings)
            {
                var sum = 0.0;
                foreach (var name in new[] { "send", "wait", "receive" })
                {
                    if (Require(timings, name, where + ".timings", JsonType.Number, problems) is { } value)
                    {
                        var ms = value.GetValue<double>();
                        sum += ms;
                        if (ms < 0)
                        {
                            problems.Add($"{where}.timings.{name}: negative");
                        }
                    }
                }

                foreach (var name in new[] { "blocked", "dns", "connect", "ssl" })
                {
                    if (timings[name] is { } value)
                    {
                        var ms = value.GetValue<double>();
                        if (ms < -1)
                        {
                            problems.Add($"{where}.timings.{name}: below -1");
                        }

                        if (ms > 0 && name != "ssl")
                        {
                            sum += ms; // ssl is part of connect
                        }
                    }
                }

                if (entry["time"] is { } time && Math.Abs(time.GetValue<double>() - sum) > 0.01)
                {
                    problems.Add($"{where}.time: {time} is not the sum of the timings ({sum})");
                }
            }
        }

        return problems;
    }

    private enum JsonType { Object, Array, String, Number, Date }

    private static JsonNode? Require(JsonNode parent, string name, string where, JsonType type, List<string> problems)
    {
        var path = where.Length == 0 ? name : $"{where}.{name}";
        var node = parent[name];
        if (node is null)
        {
            problems.Add($"{path}: missing");
            return null;
        }

        var ok = type switch
        {
            JsonType.Object => node is JsonObject,
            JsonType.Array => node is JsonArray,
            JsonType.String => node is JsonValue s && s.TryGetValue<string>(out _),
            JsonType.Number => node is JsonValue n && n.TryGetValue<double>(out _),
            JsonType.Date => node is JsonValue d && d.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, out _) && text.Contains('T'),
            _ => false,
        };
        if (!ok)
        {
            problems.Add($"{path}: not a {type.ToString().ToLowerInvariant()}");
            return null;
        }

        return node;
    }

    private static void NameValues(JsonNode? array, string where, List<string> problems)
    {
        if (array is not JsonArray items)
        {
            return;
        }

        for (var i = 0; i < items.Count; i++)
        {
            Require(items[i]!, "name", $"{where}[{i}]", JsonType.String, problems);
            Require(items[i]!, "value", $"{where}[{i}]", JsonType.String, problems);
        }
    }
}
