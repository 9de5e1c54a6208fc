using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace SpdyLab.Server.Hosting;

/// <summary>
/// The ASP.NET Core application as SPDY streams see it: run one request, given its features.
/// Filled in by <see cref="ApplicationCapturingServer"/> when the host starts Kestrel, because
/// connection middleware never sees <see cref="IHttpApplication{TContext}"/>.
/// </summary>
public sealed class SpdyApplication
{
    private Func<IFeatureCollection, Task>? _run;

    /// <summary>True once the host has started the server with its application.</summary>
    public bool IsAvailable => Volatile.Read(ref _run) is not null;

    internal void Capture<TContext>(IHttpApplication<TContext> application) where TContext : notnull
    {
        Volatile.Write(ref _run, features => RunAsync(application, features));
    }

    /// <summary>Runs one request through the application's pipeline (middleware, endpoints).</summary>
    public Task ProcessRequestAsync(IFeatureCollection features)
    {
        var run = Volatile.Read(ref _run)
            ?? throw new InvalidOperationException("the ASP.NET Core application was not captured: was UseSpdy() called on the web host?");
        return run(features);
    }

    private static async Task RunAsync<TContext>(IHttpApplication<TContext> application, IFeatureCollection features)
        where TContext : notnull
    {
        var context = application.CreateContext(features);
        Exception? failure = null;
        try
        {
            await application.ProcessRequestAsync(context);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            application.DisposeContext(context, failure);
        }
    }
}
