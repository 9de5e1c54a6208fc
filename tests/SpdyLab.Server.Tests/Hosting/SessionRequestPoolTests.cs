using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SpdyLab.Protocol;

namespace SpdyLab.Server.Tests.Hosting;

/// <summary>The session's request pool over a real SPDY session: contexts are reused from stream to stream, each request clean.</summary>
public class SessionRequestPoolTests
{
    private TestServer _server = null!;
    private static readonly System.Collections.Concurrent.ConcurrentBag<object> SeenContexts = [];

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await TestServer.StartAsync(app =>
        {
            app.MapGet("/seen", (HttpContext context) =>
            {
                SeenContexts.Add(context.Features.Get<IHttpRequestFeature>()!);
                var found = $"x-mark={context.Request.Headers["x-mark"]} response-header={context.Response.Headers.ContainsKey("X-Left")} items={context.Items.Count}";
                context.Items["left"] = 1;
                context.Response.Headers["X-Left"] = "1";
                return found;
            });
            app.MapGet("/which", (HttpContext context) =>
            {
                ContextOfRequest[context.Request.Headers["x-request"].ToString()] = context.Features.Get<IHttpRequestFeature>()!;
                return "ok";
            });
        });
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, object> ContextOfRequest = [];

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test, CancelAfter(15000)]
    public async Task Get_SequentialRequestsOnOneSession_ContextsReusedAndEachRequestSeesOnlyItsOwnHeaders(CancellationToken cancellationToken)
    {
        SeenContexts.Clear();
        await using var client = await SpdyTestClient.ConnectAsync(_server.PlainUri, SpdyVersion.Spdy31, false, cancellationToken);

        for (var i = 0; i < 20; i++)
        {
            // Only even requests carry the header: an odd one that saw it would have the last request's dictionary.
            KeyValuePair<string, string>[] headers = i % 2 == 0 ? [new("x-mark", $"m{i}")] : [];
            var response = await client.SendAsync("GET", "/seen", headers, cancellationToken: cancellationToken);
            Assert.That(response.Text, Is.EqualTo($"x-mark={(i % 2 == 0 ? $"m{i}" : "")} response-header=False items=0"), $"request {i}");
            Assert.That(response.Headers.Get("x-left"), Is.EqualTo("1"));
            // Give the server the moment between its reply and the end of its request (when the context goes back).
            await Task.Delay(5, cancellationToken);
        }

        Assert.That(SeenContexts.Distinct().Count(), Is.LessThan(20), "sequential requests of one session reuse request contexts");
    }

    [Test, CancelAfter(15000)]
    public async Task Get_RequestWithManyHeaders_ItsContextIsNotPooled(CancellationToken cancellationToken)
    {
        await using var client = await SpdyTestClient.ConnectAsync(_server.PlainUri, SpdyVersion.Spdy31, false, cancellationToken);
        var many = Enumerable.Range(0, 200).Select(i => new KeyValuePair<string, string>($"x-h{i}", "v")).ToArray();

        async Task SendAsync(string name, KeyValuePair<string, string>[] extra)
        {
            var response = await client.SendAsync("GET", "/which", [new("x-request", name), .. extra], cancellationToken: cancellationToken);
            Assert.That(response.Text, Is.EqualTo("ok"));
            await Task.Delay(5, cancellationToken); // the reply goes out before the context goes back
        }

        await SendAsync("before", []);
        await SendAsync("big", many);
        for (var i = 0; i < 5; i++)
        {
            await SendAsync($"after{i}", []);
        }

        // Small requests reuse contexts (the first test shows it); the one that held 200 header pairs is never seen again.
        var big = ContextOfRequest["big"];
        var reusedBig = Enumerable.Range(0, 5).Where(i => ReferenceEquals(ContextOfRequest[$"after{i}"], big)).ToList();
        Assert.That(reusedBig, Is.Empty, "later requests that ran on the big request's context");
        Assert.That(ReferenceEquals(ContextOfRequest["after4"], ContextOfRequest["after0"]), Is.True, "later small requests still reuse");
    }
}
