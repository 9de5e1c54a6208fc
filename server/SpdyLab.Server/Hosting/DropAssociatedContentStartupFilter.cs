using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using SpdyLab.Server.Http;
using SpdyLab.Server.Push;

namespace SpdyLab.Server.Hosting;

/// <summary>
/// X-Associated-Content is an instruction to the SPDY server, not a header for clients: over HTTP/1.1
/// and h2 (Kestrel's) it is dropped just before the response starts. SPDY streams consume it for push.
/// </summary>
internal sealed class DropAssociatedContentStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Features.Get<ISpdyStreamFeature>() is null)
            {
                context.Response.OnStarting(static state =>
                {
                    ((Microsoft.AspNetCore.Http.HttpResponse)state).Headers.Remove(AssociatedContent.HeaderName);
                    return Task.CompletedTask;
                }, context.Response);
            }
            return nextMiddleware(context);
        });
        next(app);
    };
}
