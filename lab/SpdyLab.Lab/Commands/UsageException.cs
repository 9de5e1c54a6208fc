namespace SpdyLab.Lab.Commands;

/// <summary>
/// Bad input from the user (an option's value, a file's content). The message says what was wrong,
/// where, and what is accepted; the CLI prints it without a stack trace and exits with code 2.
/// </summary>
public sealed class UsageException(string message) : Exception(message);
