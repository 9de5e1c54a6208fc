using System.Collections;
using Microsoft.AspNetCore.Http.Features;

namespace SpdyLab.Server.Http;

/// <summary>
/// The request's feature collection is the context itself (as Kestrel's HttpProtocol is): the features it implements
/// sit in fields, anything a middleware adds in a small list made on first use. A <see cref="FeatureCollection"/> per
/// request cost a dictionary, its bucket and entry arrays (about 0.8 KB) for eight references to this object.
/// </summary>
internal sealed partial class SpdyRequestContext : IFeatureCollection
{
    private object? _requestFeature;
    private object? _responseFeature;
    private object? _responseBodyFeature;
    private object? _bodyDetectionFeature;
    private object? _connectionFeature;
    private object? _lifetimeFeature;
    private object? _identifierFeature;
    private object? _streamFeature;
    private object? _pushFeature;
    private object? _tlsFeature;
    private List<KeyValuePair<Type, object>>? _otherFeatures;
    private int _featureRevision;

    /// <summary>The features handed to the app (add more before running it).</summary>
    public IFeatureCollection Features => this;

    /// <summary>The features of a new request: ours, nothing a middleware added to an earlier request of a reused context
    /// (items, trailers, anything set), and a new revision so a cache keyed by revision refetches.</summary>
    private void InitializeFeatures(ITlsConnectionFeature? tls)
    {
        _featureRevision++;
        _pushFeature = null;
        _otherFeatures?.Clear();
        _requestFeature = this;
        _responseFeature = this;
        _responseBodyFeature = this;
        _bodyDetectionFeature = this;
        _connectionFeature = this;
        _lifetimeFeature = this;
        _identifierFeature = this;
        _streamFeature = this;
        _tlsFeature = tls;
    }

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _featureRevision;

    object? IFeatureCollection.this[Type key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            if (key == typeof(IHttpRequestFeature)) return _requestFeature;
            if (key == typeof(IHttpResponseFeature)) return _responseFeature;
            if (key == typeof(IHttpResponseBodyFeature)) return _responseBodyFeature;
            if (key == typeof(IHttpRequestBodyDetectionFeature)) return _bodyDetectionFeature;
            if (key == typeof(IHttpConnectionFeature)) return _connectionFeature;
            if (key == typeof(IHttpRequestLifetimeFeature)) return _lifetimeFeature;
            if (key == typeof(IHttpRequestIdentifierFeature)) return _identifierFeature;
            if (key == typeof(ISpdyStreamFeature)) return _streamFeature;
            if (key == typeof(ISpdyPushFeature)) return _pushFeature;
            if (key == typeof(ITlsConnectionFeature)) return _tlsFeature;
            if (_otherFeatures is { } others)
            {
                foreach (var (type, feature) in others)
                {
                    if (type == key)
                    {
                        return feature;
                    }
                }
            }

            return null;
        }
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            _featureRevision++;
            if (key == typeof(IHttpRequestFeature)) _requestFeature = value;
            else if (key == typeof(IHttpResponseFeature)) _responseFeature = value;
            else if (key == typeof(IHttpResponseBodyFeature)) _responseBodyFeature = value;
            else if (key == typeof(IHttpRequestBodyDetectionFeature)) _bodyDetectionFeature = value;
            else if (key == typeof(IHttpConnectionFeature)) _connectionFeature = value;
            else if (key == typeof(IHttpRequestLifetimeFeature)) _lifetimeFeature = value;
            else if (key == typeof(IHttpRequestIdentifierFeature)) _identifierFeature = value;
            else if (key == typeof(ISpdyStreamFeature)) _streamFeature = value;
            else if (key == typeof(ISpdyPushFeature)) _pushFeature = value;
            else if (key == typeof(ITlsConnectionFeature)) _tlsFeature = value;
            else
            {
                SetOther(key, value);
            }
        }
    }

    private void SetOther(Type key, object? value)
    {
        var others = _otherFeatures;
        if (others is not null)
        {
            for (var i = 0; i < others.Count; i++)
            {
                if (others[i].Key == key)
                {
                    if (value is null)
                    {
                        others.RemoveAt(i);
                    }
                    else
                    {
                        others[i] = new(key, value);
                    }

                    return;
                }
            }
        }

        if (value is not null)
        {
            (_otherFeatures ??= new List<KeyValuePair<Type, object>>(4)).Add(new(key, value));
        }
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)((IFeatureCollection)this)[typeof(TFeature)];

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => ((IFeatureCollection)this)[typeof(TFeature)] = instance;

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator() => EnumerateFeatures().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => EnumerateFeatures().GetEnumerator();

    private IEnumerable<KeyValuePair<Type, object>> EnumerateFeatures()
    {
        if (_requestFeature is not null) yield return new(typeof(IHttpRequestFeature), _requestFeature);
        if (_responseFeature is not null) yield return new(typeof(IHttpResponseFeature), _responseFeature);
        if (_responseBodyFeature is not null) yield return new(typeof(IHttpResponseBodyFeature), _responseBodyFeature);
        if (_bodyDetectionFeature is not null) yield return new(typeof(IHttpRequestBodyDetectionFeature), _bodyDetectionFeature);
        if (_connectionFeature is not null) yield return new(typeof(IHttpConnectionFeature), _connectionFeature);
        if (_lifetimeFeature is not null) yield return new(typeof(IHttpRequestLifetimeFeature), _lifetimeFeature);
        if (_identifierFeature is not null) yield return new(typeof(IHttpRequestIdentifierFeature), _identifierFeature);
        if (_streamFeature is not null) yield return new(typeof(ISpdyStreamFeature), _streamFeature);
        if (_pushFeature is not null) yield return new(typeof(ISpdyPushFeature), _pushFeature);
        if (_tlsFeature is not null) yield return new(typeof(ITlsConnectionFeature), _tlsFeature);
        if (_otherFeatures is { } others)
        {
            foreach (var feature in others.ToArray())
            {
                yield return feature;
            }
        }
    }
}
