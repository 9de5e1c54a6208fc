using System.CommandLine;
using SpdyLab.Lab.Commands;

namespace SpdyLab.Lab.Tests.Commands;

public class CommandActionsTests
{
    [Test]
    public async Task SetAction_UsageExceptionInSubcommand_PrintsFullCommandPathAndExitsWithUsageError()
    {
        var show = new Command("show");
        CommandActions.SetAction(show, (_, _) => throw new UsageException("no snapshot named 'x'"));
        var sites = new Command("sites") { show };
        var root = new RootCommand { sites };
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int exitCode;
        try
        {
            exitCode = await root.Parse(["sites", "show"]).InvokeAsync();
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.That(exitCode, Is.EqualTo(CommandActions.UsageError));
        Assert.That(error.ToString().Trim(), Is.EqualTo("spdylab sites show: no snapshot named 'x'"));
    }
}
