using System.Buffers.Binary;
using System.Text;

namespace SpdyLab.Sites.Corpus;

/// <summary>Writes the corpus's bodies: pages, ad frames, stylesheets, scripts, JSON and Flash, each
/// referencing its subresources the way the browser will discover them, padded to an exact size.</summary>
public static class PageWriter
{
    public sealed record Reference(string Kind, string Url, int Width, int Height);

    /// <summary>A stylesheet image's rule selector "#Id .Class": the document holds an element with that id
    /// containing one with that class, so a browser applies the rule and fetches the image.</summary>
    public sealed record CssHook(string Id, string Class)
    {
        public string Selector => $"#{Id} .{Class}";
    }

    public static string Document(SiteSpec spec, string pageUrl, IReadOnlyList<Reference> refs, IReadOnlyList<CssHook> cssHooks, int targetSize, TextFactory text)
    {
        var random = text.Random;
        var page = new Uri(pageUrl);
        string Href(string url) => new Uri(url) is var u && u.Host == page.Host ? u.PathAndQuery : url;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n");
        html.Append("<html xmlns=\"http://www.w3.org/1999/xhtml\"><head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\" />\n");
        html.Append($"<title>{spec.Title.Replace("&", "&amp;")}</title>\n");
        html.Append($"<meta name=\"description\" content=\"{text.Sentence()}\" />\n");
        foreach (var css in refs.Where(r => r.Kind == "stylesheet"))
        {
            html.Append($"<link rel=\"stylesheet\" type=\"text/css\" href=\"{Href(css.Url)}\" />\n");
        }
        var scripts = refs.Where(r => r.Kind == "script").ToList();
        var headScripts = (scripts.Count + 1) / 2;
        foreach (var script in scripts.Take(headScripts))
        {
            html.Append($"<script type=\"text/javascript\" src=\"{Href(script.Url)}\"></script>\n");
        }
        html.Append("<script type=\"text/javascript\">\n");
        for (var i = 0; i < random.Next(2, 6); i++)
        {
            html.Append(text.JsFunction());
        }
        html.Append("</script>\n</head>\n");
        html.Append($"<body class=\"{spec.Kind.ToString().ToLowerInvariant()}\">\n<div id=\"hd\">");
        var images = refs.Where(r => r.Kind == "image").ToList();
        var imageQueue = new Queue<Reference>(images);
        if (imageQueue.Count > 0)
        {
            var logo = imageQueue.Dequeue();
            html.Append($"<a href=\"/\" id=\"logo\"><img src=\"{Href(logo.Url)}\" width=\"{logo.Width}\" height=\"{logo.Height}\" alt=\"{spec.Name}\" border=\"0\" /></a>");
        }
        html.Append("<ul id=\"nav\">");
        for (var i = 0; i < random.Next(5, 12); i++)
        {
            html.Append($"<li><a href=\"/{text.Word()}/\">{text.Word()}</a></li>");
        }
        html.Append("</ul></div>\n");
        if (spec.Kind == SiteKind.Search)
        {
            html.Append("<form action=\"/search\" method=\"get\" name=\"f\"><input type=\"text\" name=\"q\" size=\"55\" maxlength=\"2048\" /> <input type=\"submit\" value=\"Search\" /></form>\n");
        }
        html.Append("<div id=\"bd\">\n");
        var section = 0;
        while (imageQueue.Count > 0)
        {
            html.Append($"<div class=\"mod\" id=\"{text.Word()}{section++}\"><h2>{text.Words_(random.Next(1, 4))}</h2><ul>\n");
            for (var i = 0; i < 6 && imageQueue.Count > 0; i++)
            {
                html.Append(Item(spec.Kind, imageQueue.Dequeue(), Href, text)).Append('\n');
            }
            html.Append("</ul></div>\n");
        }
        if (cssHooks.Count > 0)
        {
            // Sprite-decorated links, the elements the stylesheets' background rules select.
            html.Append("<div id=\"sb\">\n");
            foreach (var hook in cssHooks)
            {
                html.Append($"<div id=\"{hook.Id}\"><a class=\"{hook.Class}\" href=\"/{text.Word()}/\">{text.Words_(random.Next(1, 3))}</a></div>\n");
            }
            html.Append("</div>\n");
        }
        foreach (var frame in refs.Where(r => r.Kind == "iframe"))
        {
            html.Append($"<iframe src=\"{Href(frame.Url)}\" width=\"728\" height=\"90\" frameborder=\"0\" scrolling=\"no\"></iframe>\n");
        }
        foreach (var movie in refs.Where(r => r.Kind == "object"))
        {
            html.Append($"<object type=\"application/x-shockwave-flash\" data=\"{Href(movie.Url)}\" width=\"300\" height=\"250\"><param name=\"movie\" value=\"{Href(movie.Url)}\" /><param name=\"wmode\" value=\"transparent\" /></object>\n");
        }
        html.Append("</div>\n");
        // Scripts, XHRs and frames a page's inline script asks for (when the page has no script file of its own).
        var inline = refs.Where(r => r.Kind is "xhr" or "redirect").ToList();
        if (inline.Count > 0)
        {
            html.Append("<script type=\"text/javascript\">\n");
            foreach (var r in inline)
            {
                html.Append(Insertion(r));
            }
            html.Append("</script>\n");
        }
        foreach (var script in scripts.Skip(headScripts))
        {
            html.Append($"<script type=\"text/javascript\" src=\"{Href(script.Url)}\"></script>\n");
        }
        const string end = "<div id=\"ft\">&copy; 2009</div>\n</body></html>\n";
        const int commentOverhead = 9; // "<!-- " + " -->"
        while (html.Length + end.Length + commentOverhead + 400 < targetSize)
        {
            html.Append($"<div class=\"mod\" id=\"{text.Word()}{section++}\"><h3>{text.Words_(random.Next(1, 4))}</h3><ul>\n");
            for (var i = 0; i < random.Next(3, 9) && html.Length + end.Length + commentOverhead + 400 < targetSize; i++)
            {
                html.Append(random.Next(3) switch
                {
                    0 => $"<li><a href=\"/{text.Word()}/{text.Slug()}.html\">{text.Sentence(4, 10)}</a></li>\n",
                    1 => $"<li class=\"{text.Word()}\"><h4><a href=\"http://{page.Host}/{text.Word()}/{text.Id()}\">{text.Sentence(3, 8)}</a></h4><p>{text.Sentence(8, 24)}</p></li>\n",
                    _ => $"<li><span class=\"{text.Word()}\">{text.Sentence(6, 14)}</span> <a href=\"/{text.Slug()}?id={random.Next(1, 99999)}\">{text.Word()}</a></li>\n",
                });
            }
            html.Append("</ul></div>\n");
        }
        var pad = targetSize - Encoding.UTF8.GetByteCount(html.ToString()) - end.Length - commentOverhead;
        if (pad >= 0)
        {
            html.Append("<!-- ").Append(text.Filler(pad)).Append(" -->");
        }
        html.Append(end);
        return html.ToString();
    }

    static string Item(SiteKind kind, Reference image, Func<string, string> href, TextFactory text)
    {
        var random = text.Random;
        var img = $"<img src=\"{href(image.Url)}\" width=\"{image.Width}\" height=\"{image.Height}\" alt=\"{text.Word()}\" border=\"0\" />";
        return kind switch
        {
            SiteKind.Video => $"<li class=\"video-entry\"><a href=\"/watch?v={text.Id(11, 12)}\">{img}</a><div class=\"video-title\"><a href=\"/watch?v={text.Id(11, 12)}\">{text.Sentence(3, 8)}</a></div><span class=\"video-time\">{random.Next(0, 10)}:{random.Next(10, 60)}</span> <span class=\"view-count\">{random.Next(100, 999999)} views</span></li>",
            SiteKind.Shop => $"<li class=\"product\"><a href=\"/dp/{text.Id(10, 11).ToUpperInvariant()}\">{img}</a><div class=\"title\">{text.Words_(random.Next(3, 8))}</div><span class=\"price\">${random.Next(5, 500)}.99</span></li>",
            SiteKind.Blog => $"<li class=\"post\"><h3 class=\"post-title\"><a href=\"/2009/12/{text.Slug()}.html\">{text.Sentence(3, 9)}</a></h3><div class=\"post-body\">{img}<p>{text.Sentence(10, 30)} {text.Sentence(10, 30)}</p></div><div class=\"post-footer\">Posted by {text.Word()} at {random.Next(1, 12)}:{random.Next(10, 60)} PM</div></li>",
            SiteKind.Photo => $"<li class=\"photo_container\"><a href=\"/photos/{text.Id(8, 12)}/{random.Next(100000000, 999999999)}/\" title=\"{text.Words_(3)}\">{img}</a></li>",
            SiteKind.Encyclopedia => $"<li class=\"lang\"><a href=\"http://{text.Id(2, 3).ToLowerInvariant()}.wikipedia.org/\">{img}<strong>{text.Word()}</strong></a><br /><em>{random.Next(10000, 3000000)}+ articles</em></li>",
            SiteKind.News or SiteKind.Portal => $"<li class=\"story\"><a href=\"/2009/{text.Word().ToUpperInvariant()}/12/15/{text.Slug()}/index.html\">{img}</a><h4><a href=\"/{text.Word()}/{text.Slug()}.html\">{text.Sentence(4, 11)}</a></h4><p>{text.Sentence(8, 20)}</p></li>",
            SiteKind.Social or SiteKind.Corporate => $"<li class=\"feature\">{img}<h3>{text.Words_(random.Next(2, 5))}</h3><p>{text.Sentence(6, 18)}</p><a href=\"/{text.Slug()}/\">Learn more</a></li>",
            _ => $"<li><a href=\"/{text.Slug()}\">{img}</a> {text.Words_(random.Next(1, 4))}</li>",
        };
    }

    /// <summary>JavaScript that makes the browser fetch <paramref name="r"/>.</summary>
    static string Insertion(Reference r) => r.Kind switch
    {
        "iframe" => $"document.write('<iframe src=\"{r.Url}\" width=\"728\" height=\"90\" frameborder=\"0\" scrolling=\"no\"></iframe>');\n",
        "xhr" => $"(function(){{var x=window.XMLHttpRequest?new XMLHttpRequest():new ActiveXObject(\"Microsoft.XMLHTTP\");x.open(\"GET\",\"{r.Url}\",true);x.send(null);}})();\n",
        "image" when r.Width > 1 => $"document.write('<a href=\"http://{new Uri(r.Url).Host}/click\"><img src=\"{r.Url}\" width=\"{r.Width}\" height=\"{r.Height}\" border=\"0\" /></a>');\n",
        "script" => $"(function(d){{var s=d.createElement(\"script\");s.type=\"text/javascript\";s.src=\"{r.Url}\";d.getElementsByTagName(\"head\")[0].appendChild(s);}})(document);\n",
        _ => $"(function(){{var i=new Image(1,1);i.src=\"{r.Url}\";}})();\n",
    };

    public static string Script(IReadOnlyList<Reference> inserts, int targetSize, TextFactory text)
    {
        var js = new StringBuilder();
        js.Append($"/* {text.Word()}-{text.Random.Next(1, 9)}.{text.Random.Next(0, 20)} (c) 2009 */\n");
        foreach (var r in inserts)
        {
            js.Append(Insertion(r));
        }
        while (js.Length + 200 < targetSize)
        {
            js.Append(text.JsFunction());
        }
        var pad = targetSize - Encoding.UTF8.GetByteCount(js.ToString()) - 6;
        if (pad >= 0)
        {
            js.Append("/*").Append(text.Filler(pad)).Append("*/\n");
        }
        return js.ToString();
    }

    /// <summary>A stylesheet whose image rules use the selectors of their <see cref="CssHook"/>s (elements of the document).</summary>
    public static string Stylesheet(string host, IReadOnlyList<(string Url, CssHook Hook)> images, int targetSize, TextFactory text)
    {
        var css = new StringBuilder();
        css.Append("body{margin:0;padding:0;font:13px arial,helvetica,clean,sans-serif;}\n");
        foreach (var (url, hook) in images)
        {
            var u = new Uri(url);
            var reference = u.Host == host ? u.PathAndQuery : url;
            css.Append($"{hook.Selector}{{background:url({reference}) no-repeat {text.Random.Next(0, 200) * -1}px 0;width:{text.Random.Next(8, 300)}px;}}\n");
        }
        while (css.Length + 150 < targetSize)
        {
            css.Append(text.CssRule());
        }
        var pad = targetSize - Encoding.UTF8.GetByteCount(css.ToString()) - 5;
        if (pad >= 0)
        {
            css.Append("/*").Append(text.Filler(pad)).Append("*/\n");
        }
        return css.ToString();
    }

    public static string AdFrame(int targetSize, TextFactory text)
    {
        var html = new StringBuilder("<html><head><title>Advertisement</title></head><body style=\"margin:0\">\n");
        html.Append("<script type=\"text/javascript\">\n");
        while (html.Length + 250 < targetSize)
        {
            html.Append(text.JsFunction());
        }
        html.Append("</script>\n");
        const string end = "</body></html>\n";
        var pad = targetSize - Encoding.UTF8.GetByteCount(html.ToString()) - end.Length - 9;
        if (pad >= 0)
        {
            html.Append("<!-- ").Append(text.Filler(pad)).Append(" -->");
        }
        return html.Append(end).ToString();
    }

    public static string Json(int targetSize, TextFactory text)
    {
        var random = text.Random;
        var json = new StringBuilder($"{{\"status\":\"ok\",\"ts\":{random.Next(1260000000, 1261000000)},\"items\":[");
        var first = true;
        while (json.Length + 200 < targetSize)
        {
            json.Append(first ? "" : ",").Append($"{{\"id\":\"{text.Id(8, 16)}\",\"title\":\"{text.Sentence(3, 9)}\",\"url\":\"/{text.Word()}/{text.Slug()}.html\",\"n\":{random.Next(0, 100000)}}}");
            first = false;
        }
        json.Append("],\"pad\":\"");
        var pad = targetSize - Encoding.UTF8.GetByteCount(json.ToString()) - 2;
        json.Append(text.Filler(Math.Max(0, pad))).Append("\"}");
        return json.ToString();
    }

    /// <summary>
    /// An uncompressed SWF (SWF 9 spec, chapter 2): "FWS", version, file length (UI32 LE), frame
    /// rectangle (RECT, 15-bit fields), frame rate (8.8), frame count, then a Metadata tag (code 77,
    /// long form) carrying the padding, ShowFrame and End.
    /// </summary>
    public static byte[] Flash(int targetSize, TextFactory text)
    {
        const int fixedBytes = 8 + 9 + 4 + 6 + 2 + 2;
        var metadata = Encoding.ASCII.GetBytes("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><!-- " + text.Filler(Math.Max(0, targetSize - fixedBytes - 70)) + " --></rdf:RDF>");
        var output = new MemoryStream();
        output.Write("FWS"u8);
        output.WriteByte(9);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)(fixedBytes + metadata.Length));
        output.Write(word);
        // RECT: Nbits=15, Xmin=0, Xmax=6000, Ymin=0, Ymax=5000 (twips), 65 bits -> 9 bytes.
        ulong bits = 0;
        var count = 0;
        void Put(int value, int width)
        {
            bits = (bits << width) | (uint)value;
            count += width;
        }
        var rect = new List<byte>();
        Put(15, 5); Put(0, 15); Put(6000, 15); Put(0, 15);
        // 50 bits so far; flush whole bytes, then the last field.
        while (count >= 8) { count -= 8; rect.Add((byte)(bits >> count)); }
        Put(5000, 15);
        while (count >= 8) { count -= 8; rect.Add((byte)(bits >> count)); }
        rect.Add((byte)(bits << (8 - count)));
        output.Write(rect.ToArray());
        output.Write([0x00, 0x18, 0x01, 0x00]); // 24 fps, 1 frame
        BinaryPrimitives.WriteUInt16LittleEndian(word, (77 << 6) | 0x3F);
        output.Write(word[..2]);
        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)metadata.Length);
        output.Write(word);
        output.Write(metadata);
        output.Write([0x40, 0x00, 0x00, 0x00]); // ShowFrame, End
        return output.ToArray();
    }
}
