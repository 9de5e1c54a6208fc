using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SpdyLab.Server.Certificates;

/// <summary>
/// The lab's own certificate authority: an ECDSA P-256 root created on first use in a folder
/// (the lab passes <c>$SPDYLAB_HOME/ca</c>), and leaf certificates for the hosts being served.
/// Every leaf is issued for one persistent leaf key, so the SPKI hash that Chromium's
/// <c>--ignore-certificate-errors-spki-list</c> takes stays the same whatever hosts are served.
/// </summary>
public sealed class LabCertificateAuthority
{
    public const string RootCertificateFile = "root.crt";
    public const string RootKeyFile = "root.key";
    public const string LeafKeyFile = "leaf.key";

    private readonly X509Certificate2 _root;
    private readonly ECDsa _leafKey;

    private LabCertificateAuthority(string folder, X509Certificate2 root, ECDsa leafKey)
    {
        Folder = folder;
        _root = root;
        _leafKey = leafKey;
    }

    /// <summary>The folder holding root.crt, root.key and leaf.key.</summary>
    public string Folder { get; }

    /// <summary>The root certificate (with its private key).</summary>
    public X509Certificate2 Root => _root;

    /// <summary>Base64 SHA-256 of the leaf key's SubjectPublicKeyInfo (Chromium's SPKI list format).</summary>
    public string LeafSpkiHash => SpkiHash(_leafKey.ExportSubjectPublicKeyInfo());

    /// <summary>Base64 SHA-256 of the root's SubjectPublicKeyInfo.</summary>
    public string RootSpkiHash => SpkiHash(_root.PublicKey.ExportSubjectPublicKeyInfo());

    /// <summary>Opens the authority in <paramref name="folder"/>, creating the folder, root and leaf key on first use.</summary>
    public static LabCertificateAuthority OpenOrCreate(string folder)
    {
        Directory.CreateDirectory(folder);
        var rootCertPath = Path.Combine(folder, RootCertificateFile);
        var rootKeyPath = Path.Combine(folder, RootKeyFile);
        var leafKeyPath = Path.Combine(folder, LeafKeyFile);

        X509Certificate2 root;
        if (File.Exists(rootCertPath) && File.Exists(rootKeyPath))
        {
            root = X509Certificate2.CreateFromPemFile(rootCertPath, rootKeyPath);
        }
        else
        {
            using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=SpdyLab Root CA, O=SpdyLab", rootKey, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var now = DateTimeOffset.UtcNow;
            root = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
            WritePrivateFile(rootKeyPath, rootKey.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(rootCertPath, root.ExportCertificatePem());
        }

        var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(leafKeyPath))
        {
            leafKey.ImportFromPem(File.ReadAllText(leafKeyPath));
        }
        else
        {
            WritePrivateFile(leafKeyPath, leafKey.ExportPkcs8PrivateKeyPem());
        }
        return new LabCertificateAuthority(folder, root, leafKey);
    }

    /// <summary>
    /// Issues a server certificate for <paramref name="names"/> (DNS names or IP literals; a name
    /// like "*.example.com" works as a wildcard). Always includes localhost, 127.0.0.1 and ::1.
    /// </summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> names)
    {
        var all = new List<string>(names.Where(n => n.Length > 0)) { "localhost", "127.0.0.1", "::1" };
        var distinct = all.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in distinct)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }
        var request = new CertificateRequest($"CN={distinct[0]}, O=SpdyLab", _leafKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, true, false));

        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F; // a positive serial number
        var now = DateTimeOffset.UtcNow;
        // Chromium rejects leaves valid for more than 398 days even with a trusted root.
        var notAfter = now.AddDays(390) < _root.NotAfter ? now.AddDays(390) : _root.NotAfter.ToUniversalTime();
        using var signed = request.Create(_root, now.AddDays(-1), notAfter, serial);
        return signed.CopyWithPrivateKey(_leafKey);
    }

    /// <summary>Base64 SHA-256 of a DER SubjectPublicKeyInfo.</summary>
    public static string SpkiHash(byte[] subjectPublicKeyInfo) => Convert.ToBase64String(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>The SPKI hash of a certificate's public key.</summary>
    public static string SpkiHash(X509Certificate2 certificate) => SpkiHash(certificate.PublicKey.ExportSubjectPublicKeyInfo());

    private static void WritePrivateFile(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }
}
