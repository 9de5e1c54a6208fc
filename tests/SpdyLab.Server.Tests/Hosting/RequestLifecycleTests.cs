using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SpdyLab.Protocol;

namespace SpdyLab.Server.Tests.Hosting;

/// <summary>The order of a request's end, as Kestrel has it: response completed, OnCompleted callbacks, then hosting disposes the context.</summary>
public class RequestLifecycleTests
{
    private TestServer _server = null!;
    private static readonly ConcurrentQueue<string> Seen = new();

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await TestServer.StartAsync(app =>
        {
            app.MapGet("/done/{n:int}", (HttpContext context, int n) =>
            {
                context.Response.OnCompleted(() =>
                {
                    // A logging middleware's usual callback: it reads the request and response it was registered on.
                    string seen;
                    try
                    {
                        seen = $"{context.Request.Path} {context.Response.StatusCode}";
                    }
                    catch (Exception e)
                    {
                        seen = $"{context.Request?.Path} {e.GetType().Name}";
                    }
                    Seen.Enqueue(seen);
                    return Task.CompletedTask;
                });
                context.Response.StatusCode = 201;
                return context.Response.WriteAsync($"n={n}");
            });
        });
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test, CancelAfter(15000)]
    public async Task OnCompleted_CallbackReadsItsHttpContext_SeesItsOwnRequestAndStatus(CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.PlainUri, SpdyVersion.Spdy31, false, cancellationToken);

        for (var i = 0; i < 10; i++)
        {
            var response = await client.SendAsync("GET", $"/done/{i}", cancellationToken: cancellationToken);
            Assert.That(response.Text, Is.EqualTo($"n={i}"));
        }
        while (Seen.Count < 10)
        {
            await Task.Delay(10, cancellationToken);
        }

        Assert.That(Seen.OrderBy(s => s, StringComparer.Ordinal), Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"/done/{i} 201").Order(StringComparer.Ordinal)));
    }
}
