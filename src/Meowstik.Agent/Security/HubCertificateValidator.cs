using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meowstik.Agent;

/// <summary>Validates the hub's certificate against a private CA and/or public-key pins.</summary>
internal sealed class HubCertificateValidator
{
    private readonly X509Certificate2Collection _authorities;
    private readonly HashSet<string> _pins;

    public HubCertificateValidator(MeshAgentTlsOptions options)
    {
        _authorities = [];
        foreach (X509Certificate authority in options.TrustedCertificateAuthorities)
        {
            _authorities.Add(authority as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(authority.GetRawCertData()));
        }

        foreach (string file in options.TrustedCertificateAuthorityFiles)
        {
            _authorities.AddRange(LoadAuthorities(file));
        }

        _pins = new HashSet<string>(options.PinnedPublicKeySha256, StringComparer.Ordinal);
    }

    /// <summary>Reads the certificates of a PEM file (one or more) or a DER file.</summary>
    internal static X509Certificate2Collection LoadAuthorities(string file)
    {
        var certificates = new X509Certificate2Collection();
        if (File.ReadAllText(file).Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            certificates.ImportFromPemFile(file);
        }
        else
        {
            certificates.Add(X509CertificateLoader.LoadCertificateFromFile(file));
        }

        return certificates;
    }

    /// <summary>Builds the callback to put on <c>ClientWebSocketOptions.RemoteCertificateValidationCallback</c>, or null for platform defaults.</summary>
    public static RemoteCertificateValidationCallback? CreateCallback(MeshAgentTlsOptions options)
    {
        if (options.RemoteCertificateValidation is { } custom)
        {
            return custom;
        }

        if (options.TrustedCertificateAuthorities.Count == 0 && options.TrustedCertificateAuthorityFiles.Count == 0 && options.PinnedPublicKeySha256.Count == 0)
        {
            return null;
        }

        var validator = new HubCertificateValidator(options);
        return validator.Validate;
    }

    /// <summary>Returns the pin (base64 SHA-256 of the SubjectPublicKeyInfo) of a certificate.</summary>
    public static string ComputePin(X509Certificate2 certificate)
    {
        byte[] spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        return Convert.ToBase64String(SHA256.HashData(spki));
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        // Chain element certificates belong to the chains; they are read, never disposed here.
        var chainCertificates = new List<X509Certificate2>();
        if (_authorities.Count > 0)
        {
            // Name mismatch is still fatal; chain errors are re-checked against the private roots only.
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            custom.ChainPolicy.CustomTrustStore.AddRange(_authorities);
            if (chain is not null)
            {
                foreach (X509ChainElement element in chain.ChainElements)
                {
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            if (!custom.Build(leaf))
            {
                return false;
            }

            foreach (X509ChainElement element in custom.ChainElements)
            {
                chainCertificates.Add(element.Certificate);
            }
        }
        else
        {
            if (errors != SslPolicyErrors.None)
            {
                return false;
            }

            if (chain is not null)
            {
                foreach (X509ChainElement element in chain.ChainElements)
                {
                    chainCertificates.Add(element.Certificate);
                }
            }
        }

        if (_pins.Count == 0)
        {
            return true;
        }

        if (_pins.Contains(ComputePin(leaf)))
        {
            return true;
        }

        foreach (X509Certificate2 cert in chainCertificates)
        {
            if (_pins.Contains(ComputePin(cert)))
            {
                return true;
            }
        }

        return false;
    }
}
