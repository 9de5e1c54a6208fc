using System.CommandLine;
using System.CommandLine.Parsing;

namespace SpdyLab.Lab.Commands;

/// <summary>Wraps a command's action so errors reach the user as one readable line and an exit code.</summary>
public static class CommandActions
{
    /// <summary>Exit code for bad input (options, files).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a failure while running (connection refused, protocol error...).</summary>
    public const int RuntimeError = 1;

    public static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                return await action(parseResult, cancellationToken);
            }
            catch (UsageException e)
            {
                await Console.Error.WriteLineAsync($"spdylab {FullName(parseResult)}: {e.Message}");
                return UsageError;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"spdylab {FullName(parseResult)}: interrupted");
                return 130;
            }
        });
    }

    /// <summary>"sites show" rather than "show": the path of the invoked command below the root.</summary>
    internal static string FullName(ParseResult parseResult)
    {
        var names = new List<string>();
        for (SymbolResult? result = parseResult.CommandResult; result is CommandResult commandResult; result = result.Parent)
        {
            if (commandResult.Command is not RootCommand)
            {
                names.Insert(0, commandResult.Command.Name);
            }
        }

        return string.Join(' ', names);
    }
}
