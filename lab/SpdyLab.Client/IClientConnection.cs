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

    /// <summary>Resources pushed so far (always empty for HTTP). A push whose SYN_STREAM was just read may not
    /// be listed yet (pushed streams are handed over off the read loop); use <see cref="WaitForPushesAsync"/>.</summary>
    IReadOnlyList<PushedResponse> Pushed { get; }

    /// <summary>A hint for a request that timed out (e.g. "the server sent no SPDY frame at all"), or null.</summary>
    string? TimeoutHint { get; }

    /// <summary>Every push received so far, once each one has been recorded and has completed (FIN, reset
    /// or session end).</summary>
    Task<IReadOnlyList<PushedResponse>> WaitForPushesAsync(CancellationToken cancellationToken);
}
