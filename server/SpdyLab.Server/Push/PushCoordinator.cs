using Microsoft.Extensions.Logging;
using SpdyLab.Server.Http;

namespace SpdyLab.Server.Push;

/// <summary>
/// Pushes resources for one request (the associated stream): each pushed resource is a synthesized
/// GET that inherits the request's headers (SPDY/3 §3.3), run through the app like any request; when
/// its response starts with 200, a unidirectional SYN_STREAM associated with the request carries the
/// URL and the response head, then its body streams on its own. Responses other than 200 are not
/// pushed (the client will ask if it needs them).
/// </summary>
internal sealed class PushCoordinator(SpdyRequestContext associated, Func<SpdyRequestContext, Task> runRequest, int maxPushes,
    TimeSpan openTimeout, bool allowOtherHosts, ILogger logger) : ISpdyPushFeature
{
    // Headers that describe the associated request's body, not the pushed GET.
    private static readonly HashSet<string> NotInherited = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-length", "content-type", "content-encoding", "expect", "transfer-encoding", "if-match",
        "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "range",
    };

    private int _pushes;

    public int Pushed => Volatile.Read(ref _pushes);

    public bool CanPush => associated.Transport.CanPush && !associated.ResponseCompleted && !associated.RequestAborted.IsCancellationRequested;

    public Task<bool> PushAsync(string pathOrUrl, IEnumerable<KeyValuePair<string, string>>? headers = null, int? priority = null)
    {
        var target = AssociatedContent.Resolve(new AssociatedContent.Entry(pathOrUrl, priority), associated.Head.Scheme, associated.Head.Host, allowOtherHosts);
        return target is null ? Task.FromResult(false) : PushAsync(target, headers);
    }

    /// <summary>Consumes X-Associated-Content (if any) and pushes what it names; called before the response head goes out.</summary>
    public async Task PushAssociatedContentAsync(SpdyRequestContext context)
    {
        var value = context.ResponseHeaders[AssociatedContent.HeaderName].ToString();
        context.ResponseHeaders.Remove(AssociatedContent.HeaderName);
        if (value.Length == 0)
        {
            return;
        }
        var targets = AssociatedContent.Parse(value)
            .Select(e => AssociatedContent.Resolve(e, associated.Head.Scheme, associated.Head.Host, allowOtherHosts))
            .OfType<PushTarget>()
            .DistinctBy(t => t.Url)
            .ToList();
        if (targets.Count == 0)
        {
            return;
        }
        // All SYN_STREAMs go out before the associated response's head (SPDY/3 §3.3.1: before any
        // content that would let the client discover and request them).
        await Task.WhenAll(targets.Select(t => PushAsync(t, null)));
    }

    private async Task<bool> PushAsync(PushTarget target, IEnumerable<KeyValuePair<string, string>>? extraHeaders)
    {
        if (!CanPush || Interlocked.Increment(ref _pushes) > maxPushes)
        {
            return false;
        }
        var headers = associated.Head.Headers.Where(h => !NotInherited.Contains(h.Key)).ToList();
        if (extraHeaders is not null)
        {
            foreach (var extra in extraHeaders)
            {
                headers.RemoveAll(h => h.Key.Equals(extra.Key, StringComparison.OrdinalIgnoreCase));
                headers.Add(new(extra.Key.ToLowerInvariant(), extra.Value));
            }
        }
        var head = new SpdyRequestHead("GET", target.Scheme, target.Host, target.PathAndQuery, associated.Head.HttpVersion, headers);
        var transport = new PendingPushTransport(associated.Transport, target, logger);
        var context = new SpdyRequestContext(head, requestBody: null, transport, associated.Connection, streamId: 0,
            priority: target.Priority ?? associated.Priority, isPush: true, transport.Aborted);
        _ = Task.Run(() => runRequest(context));
        using var timeout = new CancellationTokenSource(openTimeout);
        try
        {
            return await transport.Opened.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogDebug("push {Url}: the app did not start a response within {Timeout}; not pushed", target.Url, openTimeout);
            transport.GiveUp();
            context.SignalAborted();
            return false;
        }
    }

    /// <summary>
    /// The transport of a pushed resource's request before its stream exists: the response head
    /// decides whether to open the stream (200) or drop the response.
    /// </summary>
    private sealed class PendingPushTransport(StreamTransport associated, PushTarget target, ILogger logger) : StreamTransport
    {
        private readonly CancellationTokenSource _aborted = new();
        private readonly TaskCompletionSource<bool> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private StreamTransport? _stream;
        private volatile bool _dropped;

        public Task<bool> Opened => _opened.Task;

        public override CancellationToken Aborted => _aborted.Token;

        public void GiveUp()
        {
            _dropped = true;
            _opened.TrySetResult(false);
        }

        public override async ValueTask SendHeadersAsync(int status, IReadOnlyList<KeyValuePair<string, string>> headers, bool endStream, CancellationToken cancellationToken)
        {
            if (_dropped || status != 200)
            {
                _dropped = true;
                _opened.TrySetResult(false);
                logger.LogDebug("push {Url}: status {Status}; not pushed", target.Url, status);
                return;
            }
            try
            {
                _stream = await associated.OpenPushAsync(target, status, headers, endStream, cancellationToken);
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "push {Url}: could not open the stream", target.Url);
                _stream = null;
            }
            if (_stream is null)
            {
                _dropped = true;
                _opened.TrySetResult(false);
                return;
            }
            _stream.Aborted.Register(static state => ((CancellationTokenSource)state!).Cancel(), _aborted);
            _opened.TrySetResult(true);
        }

        public override ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
        {
            if (_dropped || _stream is null)
            {
                return ValueTask.CompletedTask;
            }
            return _stream.SendDataAsync(data, endStream, cancellationToken);
        }

        public override void Reset(bool cancel)
        {
            _dropped = true;
            _opened.TrySetResult(false);
            _stream?.Reset(cancel);
        }
    }
}
