using System.Text;

namespace SpdyLab.Sites.Corpus;

/// <summary>
/// Seeded filler for HTML, CSS, JavaScript and JSON: words of the period's pages mixed with the random
/// identifiers, numbers and hashes real pages carry, in a proportion that makes gzip shrink the text
/// about as much as it shrank real pages (to about 30%).
/// </summary>
public sealed class TextFactory(Prng random, double randomTokenShare = 0.06)
{
    static readonly string[] Words =
    [
        "news", "world", "sports", "finance", "weather", "video", "music", "movies", "games", "shopping", "travel", "health",
        "science", "technology", "business", "politics", "entertainment", "local", "photos", "search", "mail", "messenger",
        "home", "about", "contact", "privacy", "terms", "help", "more", "sign", "in", "out", "account", "settings", "today",
        "the", "of", "and", "to", "a", "for", "on", "with", "new", "top", "stories", "latest", "most", "popular", "watch",
        "read", "share", "comment", "comments", "update", "updates", "market", "stocks", "quote", "dollar", "oil", "prices",
        "president", "obama", "congress", "election", "economy", "jobs", "report", "says", "after", "over", "year", "week",
        "day", "first", "last", "best", "free", "online", "deals", "sale", "buy", "price", "review", "reviews", "rating",
        "blog", "post", "posts", "friends", "profile", "people", "groups", "events", "page", "pages", "city", "state",
        "china", "japan", "russia", "europe", "london", "york", "team", "game", "season", "win", "wins", "cup", "league",
        "star", "stars", "celebrity", "style", "fashion", "food", "recipes", "cars", "autos", "real", "estate", "homes",
        "education", "career", "dating", "horoscope", "lottery", "tv", "radio", "live", "channel", "show", "episode",
        "climate", "summit", "copenhagen", "holiday", "christmas", "gift", "ideas", "winter", "storm", "snow", "flight",
        "header", "footer", "nav", "menu", "item", "items", "list", "link", "links", "title", "content", "main", "side",
        "module", "box", "panel", "tab", "tabs", "promo", "ad", "banner", "logo", "icon", "thumb", "image", "img", "text",
        "container", "wrapper", "inner", "outer", "left", "right", "center", "clear", "float", "block", "hidden", "active",
    ];

    static readonly string[] JsWords =
    [
        "function", "return", "var", "this", "null", "true", "false", "document", "window", "length", "push", "call",
        "apply", "prototype", "getElementById", "createElement", "appendChild", "setAttribute", "className", "style",
        "innerHTML", "addEventListener", "attachEvent", "onload", "onclick", "typeof", "undefined", "parseInt", "Math",
        "floor", "random", "Date", "getTime", "encodeURIComponent", "substring", "indexOf", "split", "join", "replace",
    ];

    static readonly string[] CssProperties =
    [
        "margin", "padding", "color", "background", "font", "font-size", "font-weight", "line-height", "border",
        "width", "height", "display", "float", "position", "top", "left", "text-align", "text-decoration", "overflow",
    ];

    public Prng Random => random;

    public string Word() => random.Pick(Words);

    /// <summary>A random identifier: the ids, hashes and tracking values that make real markup less compressible.</summary>
    public string Id(int min = 4, int max = 11)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        var length = random.Next(min, max);
        var chars = new char[length];
        chars[0] = alphabet[random.Next(26)];
        for (var i = 1; i < length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }
        return new string(chars);
    }

    public string Token() => random.Chance(randomTokenShare)
        ? (random.Chance(0.5) ? Id() : random.Next(0, 100000).ToString())
        : Word();

    public string Words_(int count)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            if (i > 0) builder.Append(' ');
            builder.Append(Token());
        }
        return builder.ToString();
    }

    readonly List<string> _sentences = [];

    /// <summary>A sentence; a page repeats itself (teasers, navigation, boilerplate), so some come back.</summary>
    public string Sentence(int min = 5, int max = 16)
    {
        if (_sentences.Count > 20 && random.Chance(0.3))
        {
            return _sentences[random.Next(_sentences.Count)];
        }
        var s = Words_(random.Next(min, max));
        s = char.ToUpperInvariant(s[0]) + s[1..] + ".";
        if (_sentences.Count < 400)
        {
            _sentences.Add(s);
        }
        return s;
    }

    public string Slug() => random.Chance(0.6) ? $"{Word()}-{Word()}" : $"{Word()}_{Id(4, 8)}";

    public string HexColor() => $"#{random.Next(0, 0x1000000):x6}";

    /// <summary>One CSS rule.</summary>
    public string CssRule()
    {
        var builder = new StringBuilder();
        builder.Append('.').Append(Word()).Append('-').Append(Word());
        if (random.Chance(0.5)) builder.Append(" .").Append(Word());
        if (random.Chance(0.3)) builder.Append(" a:hover");
        builder.Append('{');
        var n = random.Next(2, 6);
        for (var i = 0; i < n; i++)
        {
            var property = random.Pick(CssProperties);
            builder.Append(property).Append(':').Append(property switch
            {
                "color" => HexColor(),
                "background" => $"{HexColor()} none",
                "font" => $"{random.Next(9, 24)}px arial,helvetica,sans-serif",
                "display" => random.Pick(["block", "none", "inline", "inline-block"]),
                "float" => random.Pick(["left", "right", "none"]),
                "position" => random.Pick(["relative", "absolute", "static"]),
                "text-align" => random.Pick(["left", "center", "right"]),
                "text-decoration" => random.Pick(["none", "underline"]),
                "overflow" => random.Pick(["hidden", "auto", "visible"]),
                "border" => $"{random.Next(0, 3)}px solid {HexColor()}",
                "font-weight" => random.Pick(["bold", "normal"]),
                _ => $"{random.Next(0, 40)}px" + (random.Chance(0.4) ? $" {random.Next(0, 40)}px" : ""),
            }).Append(';');
        }
        builder.Append("}\n");
        return builder.ToString();
    }

    /// <summary>One JavaScript function in the minified style of the period.</summary>
    public string JsFunction()
    {
        var name = random.Chance(0.5) ? Id(2, 4) : Word() + char.ToUpperInvariant(Word()[0]);
        var a = random.Pick(["a", "b", "c", "e", "t", "n", "o"]);
        var b = random.Pick(["d", "f", "g", "h", "i", "s", "r"]);
        var builder = new StringBuilder();
        builder.Append($"function {name}({a},{b}){{var {random.Pick(["k", "l", "m", "p", "q"])}={a}.{random.Pick(JsWords)}||{random.Next(0, 1000)};");
        var statements = random.Next(1, 5);
        for (var i = 0; i < statements; i++)
        {
            switch (random.Next(4))
            {
                case 0: builder.Append($"if({a}.{random.Pick(JsWords)}>{random.Next(0, 500)}){{{b}.{random.Pick(JsWords)}(\"{Words_(random.Next(1, 5))}\");}}"); break;
                case 1: builder.Append($"for(var i=0;i<{a}.length;i++){{{b}[i]={a}[i].{random.Pick(JsWords)}+\"{Token()}\";}}"); break;
                case 2: builder.Append($"{b}.{random.Pick(JsWords)}=\"{Word()}-{Token()}\";"); break;
                default: builder.Append($"var {random.Pick(["u", "v", "w", "x", "y"])}={{\"{Word()}\":{random.Next(0, 9999)},\"{Word()}\":\"{Token()}\"}};"); break;
            }
        }
        builder.Append($"return {b};}}\n");
        return builder.ToString();
    }

    /// <summary>Filler text of exactly <paramref name="length"/> characters (for comments).</summary>
    public string Filler(int length)
    {
        var builder = new StringBuilder(length + 16);
        while (builder.Length < length)
        {
            builder.Append(Token()).Append(' ');
        }
        builder.Length = length;
        return builder.ToString();
    }
}
