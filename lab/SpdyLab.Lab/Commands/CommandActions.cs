using System.CommandLine;

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
                await Console.Error.WriteLineAsync($"spdylab {command.Name}: {e.Message}");
                return UsageError;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"spdylab {command.Name}: interrupted");
                return 130;
            }
        });
    }
}
