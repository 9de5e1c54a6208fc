using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SpdyLab.Server.Certificates;

namespace SpdyLab.Server.Tests.Certificates;

public class LabCertificateAuthorityTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Path.Combine(Path.GetTempPath(), "spdylab-ca-test-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void DeleteFolder()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Test]
    public void OpenOrCreate_FirstUse_WritesRootAndKeysWithPrivateMode()
    {
        LabCertificateAuthority.OpenOrCreate(_folder);

        Assert.That(File.Exists(Path.Combine(_folder, "root.crt")), Is.True);
        Assert.That(File.Exists(Path.Combine(_folder, "root.key")), Is.True);
        Assert.That(File.Exists(Path.Combine(_folder, "leaf.key")), Is.True);
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(Path.Combine(_folder, "root.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
    }

    [Test]
    public void OpenOrCreate_SecondOpen_KeepsRootAndSpkiHash()
    {
        var first = LabCertificateAuthority.OpenOrCreate(_folder);
        var second = LabCertificateAuthority.OpenOrCreate(_folder);

        Assert.That(second.Root.Thumbprint, Is.EqualTo(first.Root.Thumbprint));
        Assert.That(second.LeafSpkiHash, Is.EqualTo(first.LeafSpkiHash));
    }

    [Test]
    public void IssueServerCertificate_Hosts_HasSansAndChainsToRoot()
    {
        var authority = LabCertificateAuthority.OpenOrCreate(_folder);

        using var leaf = authority.IssueServerCertificate(["www.example.com", "10.1.2.3"]);

        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.That(san.EnumerateDnsNames(), Is.SupersetOf(new[] { "www.example.com", "localhost" }));
        Assert.That(san.EnumerateIPAddresses(), Does.Contain(IPAddress.Parse("10.1.2.3")).And.Contain(IPAddress.Loopback));
        Assert.That(leaf.HasPrivateKey, Is.True);
        Assert.That(leaf.MatchesHostname("www.example.com"), Is.True);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority.Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.That(chain.Build(leaf), Is.True, string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Test]
    public void LeafSpkiHash_IssuedCertificates_EqualsBase64Sha256OfTheirSpki()
    {
        var authority = LabCertificateAuthority.OpenOrCreate(_folder);
        using var a = authority.IssueServerCertificate(["a.test"]);
        using var b = authority.IssueServerCertificate(["b.test"]);

        var expected = Convert.ToBase64String(SHA256.HashData(a.PublicKey.ExportSubjectPublicKeyInfo()));

        Assert.That(authority.LeafSpkiHash, Is.EqualTo(expected));
        Assert.That(LabCertificateAuthority.SpkiHash(b), Is.EqualTo(expected));
        Assert.That(Convert.FromBase64String(expected), Has.Length.EqualTo(32));
    }
}
