using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SpdyLab.Client;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// `spdylab get`: a curl for SPDY. The URLs of one origin are fetched concurrently over one connection
/// (one SPDY session, one h2 connection, or a pool of up to 6 HTTP/1.1 connections).
/// </summary>
public static class GetCommand
{
    /// <summary>Exit code when --fail is given and a response has status &gt;= 400 (as curl).</summary>
    public const int HttpFailure = 22;

    public static Command Create()
    {
        var urls = new Argument<string[]>("url") { Arity = ArgumentArity.OneOrMore, Description = "http:// or https:// URLs; those of one origin share one session" };
        var protocol = new Option<string?>("--protocol") { Description = $"pin the protocol: {ClientProtocols.AcceptedIds} (default: https negotiates by ALPN, http speaks spdy/3.1)" };
        var resolve = new Option<string[]>("--resolve") { Description = "HOST:PORT:ADDR: connect to ADDR for HOST:PORT (as curl); repeatable", AllowMultipleArgumentsPerToken = false };
        var insecure = new Option<bool>("--insecure", "-k") { Description = "accept any server certificate" };
        var caCert = new Option<string?>("--cacert") { Description = "PEM file of certificate authorities to trust (instead of the system's)" };
        var output = new Option<string?>("--output", "-o") { Description = "write the body to FILE (one URL only)" };
        var outputDir = new Option<string?>("--output-dir") { Description = "write each body to DIR/<last path segment of its URL>" };
        var include = new Option<bool>("--include", "-i") { Description = "print the response status and headers before the body" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "readable connection and frame trace on stderr" };
        var header = new Option<string[]>("--header", "-H") { Description = "extra request header 'Name: value'; repeatable" };
        var json = new Option<bool>("--json") { Description = "one JSON line per URL (status, headers, length, sha256, protocol, timings, pushed); no bodies on stdout" };
        var fail = new Option<bool>("--fail", "-f") { Description = $"exit {HttpFailure} when a response has status >= 400" };
        var method = new Option<string?>("--request", "-X") { Description = "request method (default GET, or POST with --data)" };
        var data = new Option<string?>("--data", "-d") { Description = "request body text (sent as is)" };
        var dataFile = new Option<string?>("--data-file") { Description = "request body: the bytes of FILE (curl's -d @FILE; '@' is taken by response files here)" };
        var priority = new Option<int>("--priority") { Description = "SPDY priority 0 (highest) to 7 (lowest) for every request", DefaultValueFactory = _ => 3 };
        var timeout = new Option<double>("--timeout") { Description = "seconds allowed for the whole transfer", DefaultValueFactory = _ => 30 };

        var command = new Command("get", "Fetch URLs over SPDY/3.1, SPDY/3, SPDY/2, h2 or HTTP/1.1, concurrently over one session (a curl for SPDY)");
        command.Arguments.Add(urls);
        foreach (var option in new Option[] { protocol, resolve, insecure, caCert, output, outputDir, include, verbose, header, json, fail, method, data, dataFile, priority, timeout })
        {
            command.Options.Add(option);
        }

        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var settings = new GetSettings
            {
                Urls = ParseUrls(parseResult.GetValue(urls) ?? []),
                Protocol = ParseProtocol(parseResult.GetValue(protocol)),
                Resolve = ParseResolve(parseResult.GetValue(resolve) ?? []),
                Insecure = parseResult.GetValue(insecure),
                CaCert = CheckFile("--cacert", parseResult.GetValue(caCert)),
                Output = parseResult.GetValue(output),
                OutputDir = parseResult.GetValue(outputDir),
                Include = parseResult.GetValue(include),
                Verbose = parseResult.GetValue(verbose),
                Headers = ParseHeaders(parseResult.GetValue(header) ?? []),
                Json = parseResult.GetValue(json),
                Fail = parseResult.GetValue(fail),
                Body = ParseData(parseResult.GetValue(data), parseResult.GetValue(dataFile)),
                Priority = parseResult.GetValue(priority),
                Timeout = TimeSpan.FromSeconds(parseResult.GetValue(timeout)),
            };
            settings = settings with { Method = parseResult.GetValue(method)?.ToUpperInvariant() ?? (settings.Body is null ? "GET" : "POST") };
            if (settings.Output is not null && settings.Urls.Count != 1)
            {
                throw new UsageException($"-o/--output: writes one body, but {settings.Urls.Count} URLs were given; use --output-dir DIR for several");
            }

            if (settings.Output is not null && settings.OutputDir is not null)
            {
                throw new UsageException("-o/--output and --output-dir: give one of them");
            }

            if (settings.Priority is < 0 or > 7)
            {
                throw new UsageException($"--priority: {settings.Priority} is out of range; accepted: 0 (highest) to 7 (lowest)");
            }

            if (settings.Timeout <= TimeSpan.Zero)
            {
                throw new UsageException("--timeout: must be a positive number of seconds");
            }

            var configuration = parseResult.InvocationConfiguration;
            return await RunAsync(settings, configuration.Output ?? Console.Out, configuration.Error ?? Console.Error, cancellationToken);
        });
        return command;
    }

    internal sealed record GetSettings
    {
        public required IReadOnlyList<Uri> Urls { get; init; }

        public ClientProtocol? Protocol { get; init; }

        public ResolveMap Resolve { get; init; } = new();

        public bool Insecure { get; init; }

        public string? CaCert { get; init; }

        public string? Output { get; init; }

        public string? OutputDir { get; init; }

        public bool Include { get; init; }

        public bool Verbose { get; init; }

        public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

        public bool Json { get; init; }

        public bool Fail { get; init; }

        public string Method { get; init; } = "GET";

        public byte[]? Body { get; init; }

        public int Priority { get; init; } = 3;

        public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    }

    /// <summary>What happened to one URL, in the order the URLs were given.</summary>
    private sealed class Outcome(Uri url)
    {
        public Uri Url { get; } = url;

        public ClientResponse? Response { get; set; }

        public long Length { get; set; }

        public string? Sha256 { get; set; }

        public byte[]? Buffered { get; set; }

        public string? Error { get; set; }

        public double TotalMs { get; set; }

        public double ConnectMs { get; set; }

        public List<PushedResponse> Pushed { get; } = [];
    }

    internal static async Task<int> RunAsync(GetSettings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var trace = settings.Verbose ? (Action<string>)(line => { lock (stderr) { stderr.WriteLine(line); } }) : null;
        var options = new ClientOptions
        {
            Protocol = settings.Protocol,
            Insecure = settings.Insecure,
            CaCertFile = settings.CaCert,
            Resolve = settings.Resolve,
            Trace = trace,
        };
        if (settings.OutputDir is not null)
        {
            Directory.CreateDirectory(settings.OutputDir);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.Timeout);
        var outcomes = settings.Urls.Select(u => new Outcome(u)).ToList();
        var origins = outcomes.GroupBy(o => o.Url.GetLeftPart(UriPartial.Authority), StringComparer.OrdinalIgnoreCase);
        try
        {
            await Task.WhenAll(origins.Select(group => FetchOriginAsync(group.ToList(), settings, options, deadline.Token)));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            foreach (var outcome in outcomes.Where(o => o.Error is null && o.Sha256 is null))
            {
                outcome.Error = $"timed out after {settings.Timeout.TotalSeconds:F0} s (--timeout)";
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return await ReportAsync(outcomes, settings, stdout, stderr);
    }

    private static async Task FetchOriginAsync(List<Outcome> outcomes, GetSettings settings, ClientOptions options, CancellationToken cancellationToken)
    {
        var origin = new Uri(outcomes[0].Url.GetLeftPart(UriPartial.Authority));
        var clock = Stopwatch.StartNew();
        IClientConnection connection;
        try
        {
            connection = await ClientConnector.ConnectAsync(origin, options, cancellationToken);
        }
        catch (SpdyClientException e)
        {
            foreach (var outcome in outcomes)
            {
                outcome.Error = e.Message;
            }

            return;
        }

        var connectMs = clock.Elapsed.TotalMilliseconds;
        await using (connection)
        {
            try
            {
                await Task.WhenAll(outcomes.Select(o => FetchOneAsync(connection, o, connectMs, settings, cancellationToken)));
            }
            catch (OperationCanceledException) when (connection.TimeoutHint is { } hint)
            {
                foreach (var outcome in outcomes.Where(o => o.Error is null && o.Sha256 is null))
                {
                    outcome.Error = $"timed out after {settings.Timeout.TotalSeconds:F0} s (--timeout); {hint}";
                }

                throw;
            }

            // Pushed streams may still be arriving after their associated response ended.
            foreach (var push in await connection.WaitForPushesAsync(cancellationToken))
            {
                var owner = outcomes.FirstOrDefault(o => o.Response?.StreamId == push.AssociatedStreamId);
                owner?.Pushed.Add(push);
                options.Trace?.Invoke($"* pushed {push.Url} (stream {push.StreamId}, associated with {push.AssociatedStreamId}): status {push.Status}, {push.Body.Length} bytes{(push.Error is null ? string.Empty : $", {push.Error}")}");
            }
        }
    }

    private static async Task FetchOneAsync(IClientConnection connection, Outcome outcome, double connectMs, GetSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        outcome.ConnectMs = connectMs;
        try
        {
            var request = new ClientRequest(outcome.Url)
            {
                Method = settings.Method,
                Headers = settings.Headers,
                // Careful: a null byte[] (or a bare null here) converts to an EMPTY ReadOnlyMemory, i.e. a body.
                Body = settings.Body is { } body ? new ReadOnlyMemory<byte>(body) : (ReadOnlyMemory<byte>?)null,
                Priority = settings.Priority,
            };
            var response = await connection.SendAsync(request, cancellationToken);
            outcome.Response = response;
            await using (response)
            {
                await using var sink = OpenSink(outcome, settings);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await response.Body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    outcome.Length += read;
                    if (sink is not null)
                    {
                        await sink.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    }
                }

                outcome.Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (sink is MemoryStream memory)
                {
                    outcome.Buffered = memory.ToArray();
                }
            }
        }
        catch (SpdyClientException e)
        {
            outcome.Error = e.Message;
        }
        finally
        {
            outcome.TotalMs = connectMs + clock.Elapsed.TotalMilliseconds;
        }
    }

    /// <summary>Where the body goes: a file (-o, --output-dir), memory (stdout, written in URL order), or nowhere (--json).</summary>
    private static Stream? OpenSink(Outcome outcome, GetSettings settings)
    {
        if (settings.Output is not null)
        {
            return File.Create(settings.Output);
        }

        if (settings.OutputDir is not null)
        {
            return File.Create(Path.Combine(settings.OutputDir, FileNameFor(outcome.Url)));
        }

        return settings.Json ? null : new MemoryStream();
    }

    /// <summary>The URL's last path segment, or "index.html" for a path ending in '/'.</summary>
    internal static string FileNameFor(Uri url)
    {
        var segment = Uri.UnescapeDataString(url.AbsolutePath.TrimEnd('/').Split('/')[^1]);
        if (url.AbsolutePath.EndsWith('/') || segment.Length == 0 || segment is "." or "..")
        {
            return "index.html";
        }

        return string.Concat(segment.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
    }

    private static async Task<int> ReportAsync(List<Outcome> outcomes, GetSettings settings, TextWriter stdout, TextWriter stderr)
    {
        var errors = 0;
        var httpFailures = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome.Error is not null)
            {
                errors++;
                await stderr.WriteLineAsync($"spdylab get: {outcome.Url}: {outcome.Error}");
            }
            else if (outcome.Response!.Status >= 400)
            {
                httpFailures++;
            }

            if (settings.Json)
            {
                await stdout.WriteLineAsync(ToJson(outcome));
                continue;
            }

            if (outcome.Response is { } response && settings.Include)
            {
                var head = new StringBuilder();
                head.Append(string.Create(CultureInfo.InvariantCulture, $"{response.HttpVersion} {response.Status} {response.Reason}").TrimEnd()).Append('\n');
                head.Append(CultureInfo.InvariantCulture, $"x-spdylab-protocol: {response.Protocol.AlpnId()}\n");
                foreach (var (name, value) in response.Headers)
                {
                    head.Append(name).Append(": ").Append(value).Append('\n');
                }

                await stdout.WriteAsync(head.Append('\n').ToString());
            }

            if (outcome.Buffered is { Length: > 0 } body)
            {
                await WriteBodyAsync(stdout, body);
            }
        }

        await stdout.FlushAsync();
        if (errors > 0)
        {
            return CommandActions.RuntimeError;
        }

        return settings.Fail && httpFailures > 0 ? HttpFailure : 0;
    }

    private static async Task WriteBodyAsync(TextWriter stdout, byte[] body)
    {
        if (ReferenceEquals(stdout, Console.Out))
        {
            // Bodies are bytes: bypass the text writer so binary content survives.
            await Console.Out.FlushAsync();
            await using var raw = Console.OpenStandardOutput();
            await raw.WriteAsync(body);
            await raw.FlushAsync();
            return;
        }

        await stdout.WriteAsync(Encoding.UTF8.GetString(body));
    }

    private static string ToJson(Outcome outcome)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("url", outcome.Url.ToString());
            if (outcome.Response is { } response)
            {
                json.WriteNumber("status", response.Status);
                json.WriteString("protocol", response.Protocol.AlpnId());
                json.WriteNumber("streamId", response.StreamId);
                if (response.FromPush)
                {
                    json.WriteBoolean("fromPush", true);
                }

                WriteHeaders(json, response.Headers);
            }

            if (outcome.Sha256 is not null)
            {
                json.WriteNumber("length", outcome.Length);
                json.WriteString("sha256", outcome.Sha256);
            }

            json.WriteStartObject("timings");
            json.WriteNumber("connectMs", Math.Round(outcome.ConnectMs, 3));
            if (outcome.Response is { } r)
            {
                json.WriteNumber("headersMs", Math.Round(outcome.ConnectMs + r.TimeToHeaders.TotalMilliseconds, 3));
            }

            json.WriteNumber("totalMs", Math.Round(outcome.TotalMs, 3));
            json.WriteEndObject();
            json.WriteStartArray("pushed");
            foreach (var push in outcome.Pushed)
            {
                json.WriteStartObject();
                json.WriteString("url", push.Url.ToString());
                json.WriteNumber("streamId", push.StreamId);
                json.WriteNumber("status", push.Status);
                json.WriteNumber("length", push.Body.Length);
                json.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(push.Body)));
                WriteHeaders(json, push.Headers);
                if (push.Error is not null)
                {
                    json.WriteString("error", push.Error);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (outcome.Error is not null)
            {
                json.WriteString("error", outcome.Error);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Headers as an object; a name with several values gets an array.</summary>
    private static void WriteHeaders(Utf8JsonWriter json, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        json.WriteStartObject("headers");
        foreach (var group in headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            var values = group.Select(h => h.Value).ToList();
            if (values.Count == 1)
            {
                json.WriteString(group.Key, values[0]);
            }
            else
            {
                json.WriteStartArray(group.Key);
                values.ForEach(json.WriteStringValue);
                json.WriteEndArray();
            }
        }

        json.WriteEndObject();
    }

    // ---- option parsing: bad input is a UsageException saying what and what is accepted ----

    internal static IReadOnlyList<Uri> ParseUrls(IEnumerable<string> texts)
    {
        var result = new List<Uri>();
        foreach (var text in texts)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || url.Host.Length == 0)
            {
                throw new UsageException($"url '{text}' is not an absolute http:// or https:// URL (e.g. https://localhost:8443/index.html)");
            }

            result.Add(url);
        }

        return result;
    }

    internal static ClientProtocol? ParseProtocol(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return ClientProtocols.FromAlpnId(text.Trim().ToLowerInvariant())
            ?? throw new UsageException($"--protocol: '{text}' is not a protocol; accepted: {ClientProtocols.AcceptedIds}");
    }

    internal static ResolveMap ParseResolve(IEnumerable<string> entries)
    {
        var map = new ResolveMap();
        foreach (var entry in entries)
        {
            try
            {
                map.Add(entry);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--resolve: {e.Message}");
            }
        }

        return map;
    }

    internal static IReadOnlyList<KeyValuePair<string, string>> ParseHeaders(IEnumerable<string> texts)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var text in texts)
        {
            var colon = text.IndexOf(':');
            var name = colon > 0 ? text[..colon].Trim() : string.Empty;
            if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || c == ':'))
            {
                throw new UsageException($"-H '{text}': not 'Name: value' (a token name, a colon, then the value)");
            }

            result.Add(new(name.ToLowerInvariant(), text[(colon + 1)..].Trim()));
        }

        return result;
    }

    private static byte[]? ParseData(string? data, string? file)
    {
        if (data is not null && file is not null)
        {
            throw new UsageException("--data and --data-file: give one of them");
        }

        if (data is not null)
        {
            return Encoding.UTF8.GetBytes(data);
        }

        if (file is null)
        {
            return null;
        }

        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--data-file {file}: cannot read the file: {e.Message}");
        }
    }

    private static string? CheckFile(string option, string? file)
    {
        if (file is not null && !File.Exists(file))
        {
            throw new UsageException($"{option}: file '{file}' does not exist");
        }

        return file;
    }
}
