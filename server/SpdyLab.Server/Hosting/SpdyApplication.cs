using System.Collections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Abstractions;
using Microsoft.AspNetCore.Http.Features;
using SpdyLab.Protocol;

namespace SpdyLab.Server.Hosting;

/// <summary>
/// The ASP.NET Core application as SPDY streams see it: run one request, given its features.
/// Filled in by <see cref="ApplicationCapturingServer"/> when the host starts Kestrel, because
/// connection middleware never sees <see cref="IHttpApplication{TContext}"/>.
/// </summary>
public sealed class SpdyApplication
{
    private Func<IFeatureCollection, Func<object, Exception?, Task>, object, Task>? _run;

    /// <summary>True once the host has started the server with its application.</summary>
    public bool IsAvailable => Volatile.Read(ref _run) is not null;

    internal void Capture<TContext>(IHttpApplication<TContext> application) where TContext : notnull
    {
        var pool = new HostContextPool<TContext>();
        Volatile.Write(ref _run, (features, finish, state) => RunAsync(application, pool, features, finish, state));
    }

    /// <summary>
    /// Runs one request through the application's pipeline (middleware, endpoints), then
    /// <paramref name="finish"/>(<paramref name="state"/>, the app's exception or null), which ends the response and runs
    /// its OnCompleted callbacks, and only then lets hosting dispose the context: Kestrel's order
    /// (HttpProtocol.ProcessRequests: app, ProduceEnd, FireOnCompleted, DisposeContext). Disposing first let OnCompleted
    /// callbacks find their HttpContext already reset, or reused by another request. <paramref name="finish"/> must not throw.
    /// </summary>
    public Task ProcessRequestAsync(IFeatureCollection features, Func<object, Exception?, Task> finish, object state)
    {
        var run = Volatile.Read(ref _run)
            ?? throw new InvalidOperationException("the ASP.NET Core application was not captured: was UseSpdy() called on the web host?");
        return run(features, finish, state);
    }

    private static async Task RunAsync<TContext>(IHttpApplication<TContext> application, HostContextPool<TContext> pool, IFeatureCollection features,
        Func<object, Exception?, Task> finish, object state)
        where TContext : notnull
    {
        var pooled = pool.Rent(features);
        TContext context;
        try
        {
            context = application.CreateContext(pooled);
        }
        catch (Exception e)
        {
            await finish(state, e); // the holder is left to the GC: hosting may have half-filled it
            return;
        }

        Exception? failure = null;
        try
        {
            await application.ProcessRequestAsync(context);
        }
        catch (Exception e)
        {
            failure = e;
        }

        try
        {
            await finish(state, failure);
        }
        finally
        {
            application.DisposeContext(context, failure);
            // Only after DisposeContext: the host has reset its context (and uninitialized the HttpContext) by then.
            pool.Return(pooled);
        }
    }

    /// <summary>
    /// Host contexts kept across requests, as Kestrel keeps them per stream: the hosting layer
    /// (<c>HostingApplication.CreateContext</c>) reuses the context it finds in an <see cref="IHostContextContainer{TContext}"/>
    /// feature collection — with it the <c>DefaultHttpContext</c>, its request and response objects — instead of making
    /// them per request; <c>DisposeContext</c> resets them. Bounded: beyond <see cref="Capacity"/> idle holders the
    /// extra ones are left to the GC. Lock-free (<see cref="BoundedPool{T}"/>): with one lock, the request tasks of every session queued on it
    /// (it showed as the most blocked-on lock in the profile).
    /// </summary>
    internal sealed class HostContextPool<TContext> where TContext : notnull
    {
        public const int Capacity = 512;

        private readonly BoundedPool<PooledFeatures<TContext>> _idle = new(Capacity);

        public PooledFeatures<TContext> Rent(IFeatureCollection features)
        {
            if (!_idle.TryRent(out var pooled))
            {
                pooled = new PooledFeatures<TContext>();
            }

            pooled.Inner = features;
            return pooled;
        }

        public void Return(PooledFeatures<TContext> pooled)
        {
            pooled.Inner = null;
            _idle.Return(pooled);
        }
    }

    /// <summary>
    /// A request's feature collection (<see cref="Inner"/>, the request's own: nothing of one request is kept in it)
    /// plus the host context that outlives the request. Every feature call goes to the request's collection.
    /// </summary>
    internal sealed class PooledFeatures<TContext> : IFeatureCollection, IHostContextContainer<TContext> where TContext : notnull
    {
        private IFeatureCollection? _inner;

        public IFeatureCollection? Inner
        {
            get => _inner;
            set => _inner = value;
        }

        public TContext? HostContext { get; set; }

        private IFeatureCollection Features => _inner ?? throw new ObjectDisposedException(nameof(IFeatureCollection), "the request has ended");

        public bool IsReadOnly => Features.IsReadOnly;

        public int Revision => Features.Revision;

        public object? this[Type key]
        {
            get => Features[key];
            set => Features[key] = value;
        }

        // Through the indexer: a generic interface method called on an interface is a runtime lookup per call (hosting
        // fetches features through this wrapper, so a second generic dispatch here doubled that).
        public TFeature? Get<TFeature>() => (TFeature?)Features[typeof(TFeature)];

        public void Set<TFeature>(TFeature? instance) => Features[typeof(TFeature)] = instance;

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => Features.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
