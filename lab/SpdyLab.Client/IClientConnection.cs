namespace SpdyLab.Client;

/// <summary>A connection to one origin that runs requests, concurrently when the protocol allows.</summary>
public interface IClientConnection : IAsyncDisposable
{
    ClientProtocol Protocol { get; }

    /// <summary>
    /// Sends the request and returns when the response headers arrived. Throws <see cref="SpdyClientException"/>
    /// on connection, protocol or stream errors.
    /// </summary>
    Task<ClientResponse> SendAsync(ClientRequest request, CancellationToken cancellationToken);

    /// <summary>Resources pushed so far (always empty for HTTP).</summary>
    IReadOnlyList<PushedResponse> Pushed { get; }
}
