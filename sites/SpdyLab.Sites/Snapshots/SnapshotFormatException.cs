namespace SpdyLab.Sites.Snapshots;

/// <summary>A snapshot or an archive that cannot be read; the message names the file and the entry.</summary>
public sealed class SnapshotFormatException(string message, Exception? inner = null) : Exception(message, inner);
