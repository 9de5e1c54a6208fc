using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Compression;

namespace SpdyLab.Server.Tests.Hosting;

/// <summary><see cref="Hosting.SpdyServerOptions.HeaderCompression"/> reaches the sessions' header encoder.</summary>
public class HeaderCompressionOptionTests
{
    private static async Task<(long Raw, long Compressed, string Text)> FetchTwiceAsync(HeaderCompressionOptions? compression, CancellationToken cancellationToken)
    {
        await using var server = await TestServer.StartAsync(
            app => app.MapGet("/hello", () => Results.Text("hello")),
            compression is null ? null : spdy => spdy.HeaderCompression = compression);
        await using var client = await SpdyTestClient.ConnectAsync(server.PlainUri, SpdyVersion.Spdy31, false, cancellationToken);

        await client.SendAsync("GET", "/hello", cancellationToken: cancellationToken);
        var response = await client.SendAsync("GET", "/hello", cancellationToken: cancellationToken);
        var counters = client.Session.Counters;
        return (counters.HeaderBytesReceivedRaw, counters.HeaderBytesReceivedCompressed, response.Text);
    }

    [Test, CancelAfter(20000)]
    public async Task HeaderCompression_Level0_RepliesDecodeAndAreNotCompressedUnlikeTheDefault(CancellationToken cancellationToken)
    {
        var byDefault = await FetchTwiceAsync(null, cancellationToken);
        var stored = await FetchTwiceAsync(new HeaderCompressionOptions(Level: 0), cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(byDefault.Text, Is.EqualTo("hello"));
            Assert.That(stored.Text, Is.EqualTo("hello"));
            // Level 0 sends stored blocks: every byte of the name/value blocks plus zlib's framing.
            Assert.That(stored.Compressed, Is.GreaterThan(stored.Raw));
            // Chromium's level 9 with the SPDY dictionary shrinks the same two replies to well under half.
            Assert.That(byDefault.Compressed, Is.LessThan(byDefault.Raw / 2));
        });
    }
}
