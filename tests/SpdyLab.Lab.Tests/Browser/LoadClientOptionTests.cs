using System.CommandLine;
using SpdyLab.Lab.Commands;

namespace SpdyLab.Lab.Tests.Browser;

/// <summary><c>spdylab load --client</c>: what Chromium cannot do is refused with the reason (exit 2), before any browser starts.</summary>
[NonParallelizable]
public class LoadClientOptionTests
{
    private string directory = "";

    [SetUp]
    public void CreateSite()
    {
        directory = Directory.CreateTempSubdirectory("spdylab-load-client-").FullName;
        Runner.TestSites.Write(directory, "alpha", images: 1);
    }

    [TearDown]
    public void Delete() => Directory.Delete(directory, recursive: true);

    private async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(LoadCommand.Create());
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            return (await root.Parse(["load", "--site", Path.Combine(directory, "alpha"), "--connect", "127.0.0.1:9", .. args]).InvokeAsync(), error.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [TestCase(new[] { "--client", "chromium", "--protocol", "spdy/3.1" }, "SPDY was removed")]
    [TestCase(new[] { "--client", "chromium", "--protocol", "h2" }, "h2 needs --tls")]
    [TestCase(new[] { "--client", "chromium", "--push", "--protocol", "h2", "--tls" }, "built-in client options")]
    [TestCase(new[] { "--client", "firefox" }, "accepted: builtin, chromium")]
    public async Task Load_ClientChromiumWithWhatItCannotDo_IsAUsageError(string[] args, string expected)
    {
        var (code, error) = await RunAsync(args);
        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain(expected));
    }
}
