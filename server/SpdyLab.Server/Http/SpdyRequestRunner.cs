using Microsoft.Extensions.Logging;
using SpdyLab.Server.Hosting;
using SpdyLab.Server.Push;

namespace SpdyLab.Server.Http;

/// <summary>Runs request contexts through the captured app, with push wired in when the stream allows it.</summary>
internal sealed class SpdyRequestRunner(SpdyApplication application, SpdyServerOptions options, ILogger logger)
{
    /// <summary>Runs one request to completion: app, then FIN (or 500, or RST_STREAM). Never throws.</summary>
    public async Task RunAsync(SpdyRequestContext context)
    {
        if (options.PushEnabled && !context.IsPush && context.Transport.CanPush)
        {
            var push = new PushCoordinator(context, RunAsync, options.MaxPushesPerRequest, options.PushOpenTimeout, options.PushOtherHosts, logger);
            context.Features.Set<ISpdyPushFeature>(push);
            context.BeforeHeadersSent = push.PushAssociatedContentAsync;
        }
        else
        {
            // Consume the header even where nothing is pushed: it is not forwarded to the client.
            context.BeforeHeadersSent = static c =>
            {
                c.ResponseHeaders.Remove(AssociatedContent.HeaderName);
                return Task.CompletedTask;
            };
        }

        Exception? failure = null;
        try
        {
            await application.ProcessRequestAsync(context.Features);
        }
        catch (Exception e)
        {
            failure = e;
            if (!context.RequestAborted.IsCancellationRequested)
            {
                logger.LogError(e, "stream {StreamId} ({Method} {Path}): the app failed", context.StreamId, context.Method, context.RawTarget);
            }
        }
        try
        {
            await context.FinishAsync(failure);
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "stream {StreamId}: could not finish the response", context.StreamId);
            context.Transport.Reset(cancel: false);
        }
    }
}
