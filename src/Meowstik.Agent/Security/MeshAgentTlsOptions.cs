using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Meowstik.Agent;

/// <summary>
/// TLS settings for <c>wss://</c> hubs. With nothing set the platform's normal certificate validation applies.
/// Configuration binds <see cref="TrustedCertificateAuthorityFiles"/> (<c>Meowstik:Agent:Tls:TrustedCertificateAuthorityFiles:0</c>…)
/// and <see cref="PinnedPublicKeySha256"/>; the certificate objects and the callback are set in code.
/// </summary>
public sealed class MeshAgentTlsOptions
{
    /// <summary>
    /// Private certificate authorities to trust (a home server's own CA). When non-empty, the hub's certificate must
    /// chain to one of these (the system store is not consulted) and its name must match the hub host. Default: empty. Code only.
    /// </summary>
    /// <remarks>An <see cref="X509CertificateCollection"/>, like <see cref="ClientCertificates"/>: add <see cref="X509Certificate2"/>s.</remarks>
    public X509CertificateCollection TrustedCertificateAuthorities { get; } = [];

    /// <summary>
    /// Files holding private certificate authorities to trust, like <see cref="TrustedCertificateAuthorities"/> (PEM, one or
    /// more certificates, or DER): a home server's CA, or the self-signed certificate a development hub created. Read when
    /// the agent connects; a missing file fails validation at start. Default: empty.
    /// </summary>
    public IList<string> TrustedCertificateAuthorityFiles { get; } = [];

    /// <summary>
    /// Certificate pins: base64 SHA-256 hashes of the SubjectPublicKeyInfo (the HPKP "pin-sha256" form) of any
    /// certificate in the hub's chain. When non-empty, a connection is accepted only if one pin matches, in addition
    /// to chain validation. Default: empty (no pinning).
    /// </summary>
    public IList<string> PinnedPublicKeySha256 { get; } = [];

    /// <summary>Client certificates for mutual TLS. Default: empty. Code only.</summary>
    public X509CertificateCollection ClientCertificates { get; } = [];

    /// <summary>
    /// A validation callback that replaces all of the above checks (for platform-specific needs). Default: null. Code only.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }
}
