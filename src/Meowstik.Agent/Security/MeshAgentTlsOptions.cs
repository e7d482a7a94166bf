using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Meowstik.Agent;

/// <summary>
/// TLS settings for <c>wss://</c> hubs. With nothing set the platform's normal certificate validation applies.
/// </summary>
public sealed class MeshAgentTlsOptions
{
    /// <summary>
    /// Private certificate authorities to trust (a home server's own CA). When non-empty, the hub's certificate must
    /// chain to one of these (the system store is not consulted) and its name must match the hub host. Default: empty.
    /// </summary>
    public X509Certificate2Collection TrustedCertificateAuthorities { get; } = [];

    /// <summary>
    /// Certificate pins: base64 SHA-256 hashes of the SubjectPublicKeyInfo (the HPKP "pin-sha256" form) of any
    /// certificate in the hub's chain. When non-empty, a connection is accepted only if one pin matches, in addition
    /// to chain validation. Default: empty (no pinning).
    /// </summary>
    public IList<string> PinnedPublicKeySha256 { get; } = [];

    /// <summary>Client certificates for mutual TLS. Default: empty.</summary>
    public X509CertificateCollection ClientCertificates { get; } = [];

    /// <summary>
    /// A validation callback that replaces all of the above checks (for platform-specific needs). Default: null.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }

    /// <summary>Whether any setting requires a custom validation callback.</summary>
    internal bool NeedsCustomValidation =>
        RemoteCertificateValidation is not null || TrustedCertificateAuthorities.Count > 0 || PinnedPublicKeySha256.Count > 0;
}
