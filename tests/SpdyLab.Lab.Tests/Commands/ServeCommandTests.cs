using System.CommandLine;
using SpdyLab.Lab.Commands;
using SpdyLab.Sites.Replay;

namespace SpdyLab.Lab.Tests.Commands;

public class ServeCommandTests
{
    static string Google => Path.Combine(RepositoryRoot.Path, "sites", "corpus", "google");

    static ParseResult Parse(params string[] args) => new RootCommand { ServeCommand.Create() }.Parse(["serve", .. args]);

    static async Task<(int ExitCode, string Error)> InvokeAsync(params string[] args)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var exitCode = await Parse(args).InvokeAsync(cancellationToken: timeout.Token);
            return (exitCode, error.ToString().Trim());
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [TestCase(new string[0], ReplayMode.Plain)]
    [TestCase(new[] { "--push" }, ReplayMode.Push)]
    [TestCase(new[] { "--hint" }, ReplayMode.Hint)]
    public void Settings_SiteWithFlag_ChoosesReplayMode(string[] flags, ReplayMode expected)
    {
        var settings = ServeCommand.Settings(Parse(["--site", Google, "--plain", "127.0.0.1:0", .. flags]));

        Assert.That(settings.SiteMode, Is.EqualTo(expected));
        Assert.That(settings.Site!.Name, Is.EqualTo("google"));
        Assert.That(settings.Pushes, Is.Empty);
    }

    [Test]
    public void Settings_RootWithPushRule_KeepsTheRule()
    {
        var root = Path.Combine(RepositoryRoot.Path, "sites");
        var settings = ServeCommand.Settings(Parse("--root", root, "--push-rule", "/index.html=/style.css,/app.js"));

        Assert.That(settings.Pushes["/index.html"], Is.EqualTo(new[] { "/style.css", "/app.js" }));
        Assert.That(settings.SiteMode, Is.EqualTo(ReplayMode.Plain));
    }

    [TestCase(new[] { "--site", "SITE", "--push", "--hint" }, "--push and --hint exclude each other")]
    [TestCase(new[] { "--root", "ROOT", "--push" }, "--push: only with --site")]
    [TestCase(new[] { "--root", "ROOT", "--hint" }, "--hint: only with --site")]
    [TestCase(new[] { "--site", "SITE", "--push-rule", "/a=/b" }, "--push-rule: only with --root")]
    [TestCase(new[] { "--root", "ROOT", "--push-rule", "index.html" }, "--push-rule: 'index.html' is not PATH=URL")]
    [TestCase(new[] { "--push" }, "give either --root FOLDER")]
    [TestCase(new[] { "--site", "no-such-site-anywhere" }, "--site: no snapshot named 'no-such-site-anywhere'")]
    public async Task Invoke_ConflictingOptions_UsageErrorNamingTheOption(string[] args, string message)
    {
        var root = Path.Combine(RepositoryRoot.Path, "sites");
        var (exitCode, error) = await InvokeAsync([.. args.Select(a => a switch { "SITE" => Google, "ROOT" => root, _ => a })]);

        Assert.That(exitCode, Is.EqualTo(CommandActions.UsageError));
        Assert.That(error, Does.StartWith("spdylab serve: " + message));
    }

    [Test]
    public void Parse_OldModeOption_IsRejected()
    {
        Assert.That(Parse("--site", Google, "--mode", "push").Errors, Is.Not.Empty);
    }
}
