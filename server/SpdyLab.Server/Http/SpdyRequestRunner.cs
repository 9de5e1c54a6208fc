using Microsoft.Extensions.Logging;
using SpdyLab.Server.Hosting;
using SpdyLab.Server.Push;

namespace SpdyLab.Server.Http;

/// <summary>Runs request contexts through the captured app, with push wired in when the stream allows it.</summary>
internal sealed class SpdyRequestRunner
{
    // Consume X-Associated-Content even where nothing is pushed: it is not forwarded to the client.
    private static readonly Func<SpdyRequestContext, Task> DropAssociatedContent = static c =>
    {
        c.ResponseHeaders.Remove(AssociatedContent.HeaderName);
        return Task.CompletedTask;
    };

    // Push what X-Associated-Content names; the coordinator is only made for a response that has the header.
    private static readonly Func<SpdyRequestContext, Task> PushAssociatedContent = static c =>
        c.ResponseHeaders.ContainsKey(AssociatedContent.HeaderName) ? c.PushCoordinator.PushAssociatedContentAsync(c) : Task.CompletedTask;

    private readonly SpdyApplication _application;
    private readonly SpdyServerOptions _options;
    private readonly ILogger _logger;
    private readonly Func<SpdyRequestContext, PushCoordinator> _createPush;

    public SpdyRequestRunner(SpdyApplication application, SpdyServerOptions options, ILogger logger)
    {
        _application = application;
        _options = options;
        _logger = logger;
        // One delegate for the runner's life (a coordinator and a bound delegate per request cost two objects each time).
        _createPush = context => new PushCoordinator(context, RunAsync, _options.MaxPushesPerRequest, _options.PushOpenTimeout, _options.PushOtherHosts, _logger);
        _finish = (state, failure) => FinishAsync((SpdyRequestContext)state, failure);
    }

    // Made once: the application calls it with the request's context as its state, so a request costs no closure.
    private readonly Func<object, Exception?, Task> _finish;

    /// <summary>Runs one request to completion: app, then FIN (or 500, or RST_STREAM). Never throws.</summary>
    public async Task RunAsync(SpdyRequestContext context)
    {
        var application = _application;
        var logger = _logger;
        if (_options.PushEnabled && !context.IsPush && context.Transport.CanPush)
        {
            context.EnablePush(_createPush);
            context.BeforeHeadersSent = PushAssociatedContent;
        }
        else
        {
            context.BeforeHeadersSent = DropAssociatedContent;
        }

        Task run;
        try
        {
            // The response is finished (FinishAsync) inside, before hosting disposes the HttpContext.
            run = application.ProcessRequestAsync(context.Features, _finish, context);
        }
        catch (Exception e)
        {
            await FinishAsync(context, e); // no application to run: a 500
            return;
        }

        try
        {
            await run;
        }
        catch (Exception e)
        {
            // Only hosting's DisposeContext can get here: the response was finished before it.
            logger.LogDebug(e, "stream {StreamId}: hosting failed after the response", context.StreamId);
        }
    }

    /// <summary>Ends the response after the app returned (or threw): FIN, a 500, or RST_STREAM; then OnCompleted. Never throws.</summary>
    private async Task FinishAsync(SpdyRequestContext context, Exception? failure)
    {
        var logger = _logger;
        if (failure is not null && !context.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(failure, "stream {StreamId} ({Method} {Path}): the app failed", context.StreamId, context.Method, context.RawTarget);
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
