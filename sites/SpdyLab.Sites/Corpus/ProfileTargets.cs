namespace SpdyLab.Sites.Corpus;

/// <summary>
/// The per-page figures the corpus must match, from /work/shared/corpus/PROFILE.md (Google "Web
/// metrics", top sites, May 2010; IETF HTTPbis header corpus, Nov 2012). KB = 1024 bytes.
/// Per-type KB are content sizes (before gzip): the compressible figure (287.51) is HTML + scripts +
/// CSS + other text, and uncompressed (477.26) is compressible + images + other.
/// </summary>
public static class ProfileTargets
{
    public const double GetsPerPage = 42.63;
    public const double HostsPerPage = 8.39;
    public const double ImagesPerPage = 27.58;
    public const double ImageKB = 184.73;
    public const double ScriptsPerPage = 6.75;
    public const double ScriptKB = 66.48;
    public const double StylesheetsPerPage = 4.07;
    public const double CssKB = 27.17;
    public const double CompressibleKB = 287.51;
    public const double UncompressedKB = 477.26;
    public const double WireKB = 312.04;
    public const double CompressedShare = 0.89;
    public const double MeanRequestHeaderBytes = 591;
    public const double MeanResponseHeaderBytes = 383;
    public const double CookieShare = 0.44;
    public const double MeanCookieBytes = 314;

    /// <summary>HTML and other text (JSON): compressible less scripts and CSS.</summary>
    public const double HtmlAndOtherTextKB = CompressibleKB - ScriptKB - CssKB;
    /// <summary>Neither image nor text (Flash): uncompressed less compressible less images.</summary>
    public const double OtherKB = UncompressedKB - CompressibleKB - ImageKB;
}
