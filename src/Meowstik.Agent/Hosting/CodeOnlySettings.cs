using Microsoft.Extensions.Configuration;

namespace Meowstik.Agent;

/// <summary>
/// The <see cref="MeshAgentOptions"/> members that are objects or callbacks and cannot come from configuration. The binder
/// would skip a plain value under one of these keys without a word (a proxy that silently is not used), so naming one in
/// the section is a start-up error instead.
/// </summary>
internal static class CodeOnlySettings
{
    private static readonly (string Key, string Hint)[] Keys =
    [
        (nameof(MeshAgentOptions.TokenProvider), "set Token, or TokenProvider in code"),
        (nameof(MeshAgentOptions.ReconnectPolicy), "configure Reconnect:InitialDelay and Reconnect:MaxDelay, or set ReconnectPolicy in code"),
        (nameof(MeshAgentOptions.Proxy), "set Proxy in code; without it the system proxy (HTTPS_PROXY) is used"),
        ("Tls:" + nameof(MeshAgentTlsOptions.TrustedCertificateAuthorities), "name certificate files in Tls:TrustedCertificateAuthorityFiles, or add the certificates in code"),
        ("Tls:" + nameof(MeshAgentTlsOptions.ClientCertificates), "add the certificates in code"),
        ("Tls:" + nameof(MeshAgentTlsOptions.RemoteCertificateValidation), "set the callback in code"),
    ];

    /// <summary>Throws when <paramref name="section"/> sets a code-only member.</summary>
    /// <exception cref="InvalidOperationException">A code-only key is present; the message names it.</exception>
    public static void Reject(IConfiguration section)
    {
        string prefix = section is IConfigurationSection { Path: { Length: > 0 } path } ? path + ":" : string.Empty;
        foreach ((string key, string hint) in Keys)
        {
            if (section.GetSection(key).Exists())
            {
                throw new InvalidOperationException($"{prefix}{key} cannot be set from configuration: it is an object or a callback ({hint}).");
            }
        }
    }
}
