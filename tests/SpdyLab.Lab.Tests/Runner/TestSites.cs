using System.Text;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.Runner;

/// <summary>Small generated sites for end-to-end tests: a document, a stylesheet and a few images on two hosts.</summary>
internal static class TestSites
{
    public static void Write(string sitesDirectory, string name, int images)
    {
        var main = $"www.{name}.test";
        var cdn = $"static.{name}.test";
        var builder = new SnapshotBuilder(name);
        var html = new StringBuilder($"<!doctype html><html><head><title>{name}</title><link rel=stylesheet href=\"http://{main}/site.css\"></head><body>");
        for (int i = 0; i < images; i++) html.Append($"<img src=\"http://{cdn}/img{i}.png\">");
        html.Append("<p>").Append(new string('x', 6000)).Append("</p></body></html>");
        var document = builder.Add(Exchange(main, "/", "document", "text/html; charset=utf-8"), Encoding.UTF8.GetBytes(html.ToString()));
        builder.Add(Exchange(main, "/site.css", "stylesheet", "text/css", document.Id), Encoding.UTF8.GetBytes("body { color: #333 }\n" + new string(' ', 3000)));
        for (int i = 0; i < images; i++)
        {
            var body = new byte[4000 + 500 * i];
            new Random(i).NextBytes(body);
            builder.Add(Exchange(cdn, $"/img{i}.png", "image", "image/png", document.Id), body);
        }
        builder.Manifest.Page = $"http://{main}/";
        builder.WriteTo(Path.Combine(sitesDirectory, name));
    }

    private static ExchangeRecord Exchange(string host, string path, string type, string contentType, int? initiator = null) => new()
    {
        Host = host,
        Path = path,
        Type = type,
        RequestHeaders = [["Host", host], ["User-Agent", "Mozilla/5.0 (SpdyLab test)"], ["Accept", "*/*"]],
        ResponseHeaders = [["Content-Type", contentType], ["Cache-Control", "max-age=3600"]],
        Initiator = initiator,
        InitiatorType = initiator is null ? null : "parser",
    };
}
