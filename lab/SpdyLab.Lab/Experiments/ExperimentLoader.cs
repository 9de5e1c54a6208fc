using System.Globalization;
using System.Text.RegularExpressions;
using SpdyLab.Emulator.Link;
using SpdyLab.Results;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SpdyLab.Lab.Experiments;

/// <summary>
/// A mistake in an experiment file. The message reads "FILE:LINE:COLUMN: KEY: what is wrong; accepted: ...".
/// </summary>
public sealed class ExperimentFileException(string source, int line, int column, string key, string problem)
    : Exception($"{source}:{line}:{column}: {key}: {problem}")
{
    public string FilePath { get; } = source;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string Key { get; } = key;
    public string Problem { get; } = problem;
}

/// <summary>
/// Reads an experiment file (YAML; format in docs/lab.md). Walks the YAML node tree itself instead of
/// deserializing into classes, so every error can name the line, the key (as a path such as
/// <c>designs[1].loss</c>) and what is accepted.
/// </summary>
public static partial class ExperimentLoader
{
    private static readonly string[] TopKeys =
        ["experiment", "description", "client", "runs", "seed", "rtt", "trial_timeout", "sites", "links", "configurations", "designs"];
    private static readonly string[] DesignKeys =
        ["design", "title", "links", "rtt", "loss", "loss_model", "queue", "configurations", "runs", "sites"];
    private static readonly string[] LinkKeys = ["down", "up", "rtt", "down_trace", "up_trace"];
    private static readonly string[] ConfigurationKeys = ["protocol", "transport", "domain", "feature", "label", "client"];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NameRegex();

    public static Experiment LoadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such experiment file", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static Experiment Parse(string text, string source)
    {
        var reader = new Reader(source, Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".");
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ExperimentFileException(source, (int)e.Start.Line, (int)e.Start.Column, "(file)",
                $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ExperimentFileException(source, 1, 1, "(file)", "an experiment file is one YAML mapping (experiment: NAME, designs: [...], ...)");
        }
        return reader.ReadExperiment(root, text);
    }

    private sealed class Reader(string source, string baseDirectory)
    {
        private readonly Dictionary<string, LinkProfile> links = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, Configuration> configurations = new(StringComparer.OrdinalIgnoreCase);

        public Experiment ReadExperiment(YamlMappingNode root, string text)
        {
            var map = Map(root, "", TopKeys);
            var name = RequiredScalar(root, map, "experiment", "a name of letters, digits, '.', '_' or '-'");
            if (!NameRegex().IsMatch(name.Value!))
                throw Error(name, "experiment", $"'{name.Value}' is not a name; accepted: letters, digits, '.', '_' and '-', starting with a letter or digit");

            if (map.TryGetValue("links", out var linksNode)) ReadLinks(linksNode);
            if (map.TryGetValue("configurations", out var configurationsNode)) ReadNamedConfigurations(configurationsNode);

            var runs = map.TryGetValue("runs", out var runsNode) ? PositiveInt(runsNode, "runs", 1000) : 1;
            ulong seed = 1;
            if (map.TryGetValue("seed", out var seedNode))
            {
                var s = Scalar(seedNode, "seed", "a whole number");
                if (!ulong.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
                    throw Error(s, "seed", $"'{s.Value}' is not a seed; accepted: a whole number from 0 to {ulong.MaxValue}");
            }
            var client = map.TryGetValue("client", out var clientNode) ? OneOf(clientNode, "client", Clients.All) : Clients.Builtin;
            double rtt = map.TryGetValue("rtt", out var rttNode) ? Duration(rttNode, "rtt") : 0;
            var timeout = map.TryGetValue("trial_timeout", out var timeoutNode)
                ? TimeSpan.FromMilliseconds(Duration(timeoutNode, "trial_timeout"))
                : TimeSpan.FromSeconds(120);
            if (timeout <= TimeSpan.Zero) throw Error(timeoutNode!, "trial_timeout", "must be more than 0s");
            var sites = map.TryGetValue("sites", out var sitesNode) ? Sites(sitesNode, "sites") : null;

            if (!map.TryGetValue("designs", out var designsNode))
                throw Error(root, "designs", "missing; an experiment needs at least one design block (designs: [{design: custom, links: [dsl], configurations: [...]}])");
            if (designsNode is not YamlSequenceNode designSequence || designSequence.Children.Count == 0)
                throw Error(designsNode, "designs", "must be a list of design blocks (- design: table1 ...)");
            var designs = new List<DesignBlock>();
            for (int i = 0; i < designSequence.Children.Count; i++)
            {
                designs.Add(ReadDesign(designSequence.Children[i], $"designs[{i}]"));
            }

            return new Experiment
            {
                Name = name.Value!,
                Description = map.TryGetValue("description", out var d) ? Scalar(d, "description", "text").Value ?? "" : "",
                Client = client,
                Runs = runs,
                Seed = seed,
                RttMs = rtt,
                TrialTimeout = timeout,
                Sites = sites,
                Designs = designs,
                SourceText = text,
                SourceName = source,
            };
        }

        private DesignBlock ReadDesign(YamlNode node, string path)
        {
            if (node is not YamlMappingNode mapping)
                throw Error(node, path, "must be a mapping (design: table1, links: [...], configurations: [...])");
            var map = Map(mapping, path, DesignKeys);
            var design = map.TryGetValue("design", out var designNode) ? OneOf(designNode, $"{path}.design", Designs.All) : Designs.Custom;

            if (!map.TryGetValue("links", out var linksNode)) throw Error(mapping, $"{path}.links", $"missing; name one or more links ({LinkPresets.Names}, or a name from links:)");
            var linkList = ScalarList(linksNode, $"{path}.links").Select(n => ResolveLink(n, $"{path}.links")).ToList();

            var rtts = map.TryGetValue("rtt", out var rttNode)
                ? ScalarList(rttNode, $"{path}.rtt").Select(n => Duration(n, $"{path}.rtt")).ToList()
                : [];
            var losses = map.TryGetValue("loss", out var lossNode)
                ? ScalarList(lossNode, $"{path}.loss").Select(n => Percent(n, $"{path}.loss")).ToList()
                : [0.0];
            string lossModel = "bernoulli";
            if (map.TryGetValue("loss_model", out var modelNode))
            {
                var s = Scalar(modelNode, $"{path}.loss_model", LinkValues.AcceptedLossModels);
                try { LinkValues.ParseLossModel($"{path}.loss_model", s.Value ?? "", 0.01); }
                catch (LinkOptionException e) { throw Error(s, $"{path}.loss_model", StripOption(e)); }
                lossModel = s.Value!.Trim();
            }
            string? queue = null;
            if (map.TryGetValue("queue", out var queueNode))
            {
                var s = Scalar(queueNode, $"{path}.queue", LinkValues.AcceptedQueues);
                try { LinkValues.ParseQueue($"{path}.queue", s.Value ?? ""); }
                catch (LinkOptionException e) { throw Error(s, $"{path}.queue", StripOption(e)); }
                queue = s.Value!.Trim();
            }

            if (!map.TryGetValue("configurations", out var configsNode))
                throw Error(mapping, $"{path}.configurations", "missing; list the rows (a name from configurations:, or {protocol: spdy/3, domain: single, ...})");
            if (configsNode is not YamlSequenceNode configSequence || configSequence.Children.Count == 0)
                throw Error(configsNode, $"{path}.configurations", "must be a non-empty list of configurations");
            var configs = new List<Configuration>();
            for (int i = 0; i < configSequence.Children.Count; i++)
            {
                var child = configSequence.Children[i];
                var childPath = $"{path}.configurations[{i}]";
                Configuration configuration;
                if (child is YamlScalarNode reference)
                {
                    if (!configurations.TryGetValue(reference.Value ?? "", out configuration!))
                    {
                        var known = configurations.Count == 0 ? "(none defined under configurations:)" : string.Join(", ", configurations.Keys);
                        throw Error(reference, childPath, $"'{reference.Value}' is not a configuration; accepted: {known}, or an inline mapping {{protocol: ..., transport: ..., domain: ..., feature: ...}}");
                    }
                }
                else
                {
                    configuration = ReadConfiguration(child, childPath);
                }
                if (configs.Any(c => c.Key == configuration.Key))
                    throw Error(child, childPath, $"the same configuration ({configuration.DisplayName}) is listed twice in this design");
                configs.Add(configuration);
            }

            return new DesignBlock
            {
                Design = design,
                Title = map.TryGetValue("title", out var t) ? Scalar(t, $"{path}.title", "text").Value ?? "" : "",
                Links = linkList,
                RttsMs = rtts,
                Losses = losses,
                LossModel = lossModel,
                Queue = queue,
                Configurations = configs,
                Runs = map.TryGetValue("runs", out var r) ? PositiveInt(r, $"{path}.runs", 1000) : null,
                Sites = map.TryGetValue("sites", out var s2) ? Sites(s2, $"{path}.sites") : null,
            };
        }

        private void ReadLinks(YamlNode node)
        {
            if (node is not YamlMappingNode mapping) throw Error(node, "links", "must be a mapping of NAME: {down: 2mbit, up: 375kbit, rtt: 40ms}");
            foreach (var (keyNode, value) in mapping.Children)
            {
                var name = ((YamlScalarNode)keyNode).Value ?? "";
                var path = $"links.{name}";
                if (!NameRegex().IsMatch(name)) throw Error(keyNode, path, $"'{name}' is not a link name; accepted: letters, digits, '.', '_' and '-'");
                if (LinkPresets.Find(name) is not null) throw Error(keyNode, path, $"'{name}' is a built-in preset; choose another name (presets: {LinkPresets.Names})");
                if (value is not YamlMappingNode linkMap) throw Error(value, path, "must be a mapping {down: RATE, up: RATE, rtt: DURATION} (or down_trace/up_trace: FILE)");
                var fields = Map(linkMap, path, LinkKeys);
                long? Rate(string key) => fields.TryGetValue(key, out var n) ? RateValue(n, $"{path}.{key}") : null;
                string? Trace(string key)
                {
                    if (!fields.TryGetValue(key, out var n)) return null;
                    var s = Scalar(n, $"{path}.{key}", "a Mahimahi trace file");
                    var file = Path.IsPathRooted(s.Value!) ? s.Value! : Path.GetFullPath(Path.Combine(baseDirectory, s.Value!));
                    if (!File.Exists(file)) throw Error(s, $"{path}.{key}", $"'{s.Value}' does not exist (looked at {file}); accepted: a Mahimahi trace file, relative to the experiment file");
                    return file;
                }
                var link = new LinkProfile
                {
                    Name = name,
                    DownBps = Rate("down"),
                    UpBps = Rate("up"),
                    DownTrace = Trace("down_trace"),
                    UpTrace = Trace("up_trace"),
                    RttMs = fields.TryGetValue("rtt", out var rttNode) ? Duration(rttNode, $"{path}.rtt") : null,
                };
                if (link.DownBps is not null && link.DownTrace is not null) throw Error(value, path, "give either down or down_trace, not both");
                if (link.UpBps is not null && link.UpTrace is not null) throw Error(value, path, "give either up or up_trace, not both");
                if ((link.DownBps ?? 0) == 0 && link.DownTrace is null) throw Error(value, $"{path}.down", "missing; a link needs a downlink rate (down: 2mbit) or trace (down_trace: FILE)");
                if ((link.UpBps ?? 0) == 0 && link.UpTrace is null) throw Error(value, $"{path}.up", "missing; a link needs an uplink rate (up: 375kbit) or trace (up_trace: FILE)");
                links[name] = link;
            }
        }

        private void ReadNamedConfigurations(YamlNode node)
        {
            if (node is not YamlMappingNode mapping) throw Error(node, "configurations", "must be a mapping of NAME: {protocol: ..., transport: ..., domain: ..., feature: ...}");
            foreach (var (keyNode, value) in mapping.Children)
            {
                var name = ((YamlScalarNode)keyNode).Value ?? "";
                if (!NameRegex().IsMatch(name)) throw Error(keyNode, $"configurations.{name}", $"'{name}' is not a name; accepted: letters, digits, '.', '_' and '-'");
                configurations[name] = ReadConfiguration(value, $"configurations.{name}");
            }
        }

        private Configuration ReadConfiguration(YamlNode node, string path)
        {
            if (node is not YamlMappingNode mapping) throw Error(node, path, "must be a mapping {protocol: spdy/3, transport: tcp, domain: single, feature: push}");
            var map = Map(mapping, path, ConfigurationKeys);
            if (!map.TryGetValue("protocol", out var protocolNode)) throw Error(mapping, $"{path}.protocol", $"missing; accepted: {string.Join(", ", Protocols.All)}");
            var protocol = OneOf(protocolNode, $"{path}.protocol", Protocols.All);
            var transport = Transports.Tcp;
            if (map.TryGetValue("transport", out var transportNode))
            {
                // The paper says "SSL"; accept the word and store the modern name.
                var s = Scalar(transportNode, $"{path}.transport", "tcp, tls (or ssl)");
                transport = s.Value?.ToLowerInvariant() switch
                {
                    "tcp" => Transports.Tcp,
                    "tls" or "ssl" => Transports.Tls,
                    _ => throw Error(s, $"{path}.transport", $"'{s.Value}' is not known; accepted: tcp, tls (or ssl)"),
                };
            }
            var domain = map.TryGetValue("domain", out var domainNode) ? OneOf(domainNode, $"{path}.domain", DomainModes.All) : DomainModes.Multi;
            var feature = map.TryGetValue("feature", out var featureNode) ? OneOf(featureNode, $"{path}.feature", Features.All) : Features.None;
            if (feature is Features.Push or Features.Hint && protocol == Protocols.Http11)
                throw Error(featureNode!, $"{path}.feature", $"'{feature}' needs a multiplexed protocol; accepted with http/1.1: none, prefetch");
            return new Configuration
            {
                Protocol = protocol,
                Transport = transport,
                DomainMode = domain,
                Feature = feature,
                Label = map.TryGetValue("label", out var l) ? Scalar(l, $"{path}.label", "text").Value : null,
                Client = map.TryGetValue("client", out var c) ? OneOf(c, $"{path}.client", Clients.All) : null,
            };
        }

        private LinkProfile ResolveLink(YamlScalarNode node, string path)
        {
            var name = node.Value ?? "";
            if (links.TryGetValue(name, out var defined)) return defined;
            if (LinkPresets.Find(name) is { } preset) return preset;
            var own = links.Count == 0 ? "" : $"; defined in this file: {string.Join(", ", links.Keys)}";
            throw Error(node, path, $"'{name}' is not a link; accepted: {LinkPresets.Names}{own}");
        }

        private IReadOnlyList<string>? Sites(YamlNode node, string path)
        {
            if (node is YamlScalarNode { Value: "all" }) return null;
            var names = ScalarList(node, path);
            foreach (var n in names)
            {
                if (!NameRegex().IsMatch(n.Value ?? "")) throw Error(n, path, $"'{n.Value}' is not a site name; accepted: 'all', or site names such as google, yahoo.co.jp");
            }
            var list = names.Select(n => n.Value!).ToList();
            var duplicate = list.GroupBy(s => s).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw Error(node, path, $"'{duplicate.Key}' is listed twice");
            return list;
        }

        // ---- value helpers --------------------------------------------------------------------

        private Dictionary<string, YamlNode> Map(YamlMappingNode mapping, string path, string[] accepted)
        {
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                var keyPath = path.Length == 0 ? key : $"{path}.{key}";
                if (!accepted.Contains(key)) throw Error(keyNode, keyPath, $"unknown key '{key}'; accepted: {string.Join(", ", accepted)}");
                if (!result.TryAdd(key, value)) throw Error(keyNode, keyPath, "given twice");
            }
            return result;
        }

        private YamlScalarNode RequiredScalar(YamlMappingNode parent, Dictionary<string, YamlNode> map, string key, string accepted)
        {
            if (!map.TryGetValue(key, out var node)) throw Error(parent, key, $"missing; accepted: {accepted}");
            return Scalar(node, key, accepted);
        }

        private YamlScalarNode Scalar(YamlNode node, string path, string accepted)
        {
            if (node is not YamlScalarNode scalar || string.IsNullOrWhiteSpace(scalar.Value))
                throw Error(node, path, $"must be a single value; accepted: {accepted}");
            return scalar;
        }

        /// <summary>A scalar or a list of scalars ("loss: 1%" or "loss: [0%, 1%]").</summary>
        private List<YamlScalarNode> ScalarList(YamlNode node, string path)
        {
            if (node is YamlScalarNode scalar) return [Scalar(scalar, path, "a value or a list [a, b]")];
            if (node is YamlSequenceNode sequence && sequence.Children.Count > 0)
                return sequence.Children.Select(c => Scalar(c, path, "a value in the list")).ToList();
            throw Error(node, path, "must be a value or a non-empty list [a, b]");
        }

        private string OneOf(YamlNode node, string path, IReadOnlyList<string> accepted)
        {
            var s = Scalar(node, path, string.Join(", ", accepted));
            var match = accepted.FirstOrDefault(a => string.Equals(a, s.Value, StringComparison.OrdinalIgnoreCase));
            return match ?? throw Error(s, path, $"'{s.Value}' is not known; accepted: {string.Join(", ", accepted)}");
        }

        private int PositiveInt(YamlNode node, string path, int max)
        {
            var s = Scalar(node, path, $"a whole number from 1 to {max}");
            if (!int.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > max)
                throw Error(s, path, $"'{s.Value}' is not accepted; accepted: a whole number from 1 to {max}");
            return n;
        }

        private double Duration(YamlNode node, string path)
        {
            var s = Scalar(node, path, LinkValues.AcceptedDurations);
            try { return LinkValues.ParseDuration(path, s.Value!) / 1000.0; }
            catch (LinkOptionException e) { throw Error(s, path, StripOption(e)); }
        }

        private double Percent(YamlNode node, string path)
        {
            var s = Scalar(node, path, LinkValues.AcceptedPercents);
            try { return LinkValues.ParsePercent(path, s.Value!); }
            catch (LinkOptionException e) { throw Error(s, path, StripOption(e)); }
        }

        private long RateValue(YamlNode node, string path)
        {
            var s = Scalar(node, path, LinkValues.AcceptedRates);
            try { return LinkValues.ParseRate(path, s.Value!); }
            catch (LinkOptionException e) { throw Error(s, path, StripOption(e)); }
        }

        private static string StripOption(LinkOptionException e) =>
            e.Message.StartsWith(e.Option + ": ", StringComparison.Ordinal) ? e.Message[(e.Option.Length + 2)..] : e.Message;

        private ExperimentFileException Error(YamlNode node, string key, string problem) =>
            new(source, (int)node.Start.Line, (int)node.Start.Column, key, problem);
    }
}
