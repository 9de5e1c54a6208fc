using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace SpdyLab.Server.Hosting;

/// <summary>
/// A thin <see cref="IServer"/> around Kestrel: records the application the host starts it with
/// (so SPDY streams can run requests through the same pipeline) and forwards everything else.
/// </summary>
internal sealed class ApplicationCapturingServer(IServer inner, SpdyApplication application) : IServer
{
    public IFeatureCollection Features => inner.Features;

    public Task StartAsync<TContext>(IHttpApplication<TContext> httpApplication, CancellationToken cancellationToken)
        where TContext : notnull
    {
        application.Capture(httpApplication);
        return inner.StartAsync(httpApplication, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

    public void Dispose() => inner.Dispose();
}
