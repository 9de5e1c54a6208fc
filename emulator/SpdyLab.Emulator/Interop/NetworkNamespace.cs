using System.Runtime.ExceptionServices;

namespace SpdyLab.Emulator.Interop;

/// <summary>
/// Runs code inside a named network namespace (/run/netns/NAME, as `ip netns add` makes them). setns(2)
/// changes only the calling thread, so the code runs on a dedicated thread that is never returned to the
/// .NET thread pool. Sockets and TUN devices created there belong to that namespace for their whole
/// life, whichever thread uses them afterwards.
/// </summary>
public static class NetworkNamespace
{
    public const string Directory = "/run/netns";

    public static string PathOf(string name) => Path.Combine(Directory, name);

    public static T Run<T>(string name, Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(name);
                result = action();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = $"netns {name}" };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    public static void Run(string name, Action action) => Run(name, () => { action(); return 0; });

    /// <summary>Moves the calling thread into namespace <paramref name="name"/>. Only for dedicated threads.</summary>
    public static void Enter(string name)
    {
        string path = PathOf(name);
        int fd = Sys.Check(Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC), $"open({path})");
        try
        {
            Sys.Check(Libc.SetNs(fd, Libc.CLONE_NEWNET), $"setns({path}, CLONE_NEWNET)");
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
