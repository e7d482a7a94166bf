using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HubHost;

/// <summary>
/// The hub's self-signed certificate for https/wss on a development machine or a home network: created on first run in the
/// data folder (the database's folder), reused afterwards, renewed 30 days before it expires. It is used only when no
/// Kestrel certificate is configured (<c>Kestrel:Certificates:Default</c>), which is what a real deployment sets.
/// Agents trust it by its public part, written beside it as PEM (<see cref="PublicFileName"/>).
/// </summary>
internal static class DevelopmentCertificate
{
    public const string FileName = "hubhost-dev-cert.pfx";
    public const string PublicFileName = "hubhost-dev-cert.pem";
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    /// <summary>Loads the certificate from <paramref name="folder"/>, or creates it there (the key file readable by the owner only).</summary>
    public static X509Certificate2 LoadOrCreate(string folder, TimeProvider time, out bool created)
    {
        string path = Path.Combine(folder, FileName);
        DateTimeOffset now = time.GetUtcNow();
        if (File.Exists(path))
        {
            X509Certificate2 existing = X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
            if (existing.NotAfter.ToUniversalTime() - RenewBefore > now.UtcDateTime)
            {
                created = false;
                return existing;
            }
            existing.Dispose();
        }

        Directory.CreateDirectory(folder);
        using X509Certificate2 fresh = Create(now);
        byte[] pfx = fresh.Export(X509ContentType.Pkcs12);
        var ownerOnly = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            ownerOnly.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(path, ownerOnly))
        {
            file.Write(pfx);
        }
        File.WriteAllText(Path.Combine(folder, PublicFileName), fresh.ExportCertificatePem() + "\n");
        created = true;
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }

    private static X509Certificate2 Create(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=Meowstik HubHost development certificate", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Dns.GetHostName());
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(Lifetime));
    }
}
