using SpdyLab.Lab.Experiments;
using SpdyLab.Results;

namespace SpdyLab.Lab.Browser;

/// <summary>The Chromium rows of a bundled design run only where Chromium is installed.</summary>
public static class ChromiumRows
{
    /// <summary>
    /// The experiment without its <c>client: chromium</c> configurations when Chromium cannot run here (a note
    /// on <paramref name="log"/> says why and how to get them); unchanged otherwise. Blocks left with no
    /// configuration are dropped.
    /// </summary>
    public static Experiment DropIfUnavailable(Experiment experiment, TextWriter log, Func<string?>? whyUnavailable = null)
    {
        if (experiment.Client == Clients.Chromium) return experiment;
        bool HasChromium(Configuration c) => c.Client == Clients.Chromium;
        if (!experiment.Designs.Any(d => d.Configurations.Any(HasChromium))) return experiment;
        if ((whyUnavailable ?? (() => ChromiumLauncher.WhyUnavailable()))() is not { } problem) return experiment;
        log.WriteLine($"note: the Chromium rows are left out ({problem})");
        var designs = experiment.Designs
            .Select(d => d with { Configurations = d.Configurations.Where(c => !HasChromium(c)).ToList() })
            .Where(d => d.Configurations.Count > 0)
            .ToList();
        return experiment with { Designs = designs };
    }
}
