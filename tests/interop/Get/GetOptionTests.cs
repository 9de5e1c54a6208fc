using SpdyLab.Client;
using SpdyLab.Interop.Tests.Support;
using SpdyLab.Lab.Commands;

namespace SpdyLab.Interop.Tests.Get;

/// <summary>Option parsing of `spdylab get`: bad input is exit 2 with a message naming the option.</summary>
[TestFixture]
public sealed class GetOptionTests
{
    [TestCase("--protocol", "h3")]
    [TestCase("--resolve", "example.com:443")]
    [TestCase("--resolve", "example.com:99999:127.0.0.1")]
    [TestCase("--resolve", "example.com:443:not-an-ip")]
    [TestCase("-H", "no colon here")]
    [TestCase("--priority", "9")]
    public async Task Get_BadOption_ExitsWithUsageError(string option, string value)
    {
        var result = await GetRunner.RunAsync(option, value, "http://127.0.0.1:1/");

        Assert.That(result.ExitCode, Is.EqualTo(CommandActions.UsageError), result.ToString());
    }

    [Test]
    public async Task Get_OutputWithTwoUrls_ExitsWithUsageError()
    {
        var result = await GetRunner.RunAsync("-o", "x.bin", "http://127.0.0.1:1/a", "http://127.0.0.1:1/b");

        Assert.That(result.ExitCode, Is.EqualTo(CommandActions.UsageError), result.ToString());
    }

    [Test]
    public async Task Get_NotHttpUrl_ExitsWithUsageError()
    {
        var result = await GetRunner.RunAsync("ftp://example.com/x");

        Assert.That(result.ExitCode, Is.EqualTo(CommandActions.UsageError), result.ToString());
    }

    [TestCase("spdy/3.1", ClientProtocol.Spdy31)]
    [TestCase("SPDY/2", ClientProtocol.Spdy2)]
    [TestCase("h2", ClientProtocol.Http2)]
    [TestCase("http/1.1", ClientProtocol.Http11)]
    public void ParseProtocol_KnownId_ReturnsProtocol(string text, ClientProtocol expected) =>
        Assert.That(GetCommand.ParseProtocol(text), Is.EqualTo(expected));

    [TestCase("https://h/a/b/page.html", "page.html")]
    [TestCase("https://h/a/b/", "index.html")]
    [TestCase("https://h/", "index.html")]
    [TestCase("https://h/x%20y?q=1", "x y")]
    public void FileNameFor_Url_IsLastPathSegment(string url, string expected) =>
        Assert.That(GetCommand.FileNameFor(new Uri(url)), Is.EqualTo(expected));
}
