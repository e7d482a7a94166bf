namespace Meowstik.Hub.Core;

/// <summary>
/// A freshly issued token. <see cref="Secret"/> is the only copy of the plaintext: the hub keeps just its SHA-256 hash,
/// so hand it to the holder now; it cannot be shown again.
/// </summary>
public sealed class IssuedToken
{
    internal IssuedToken(string secret, MeshIdentity identity, DateTimeOffset issuedAt)
    {
        Secret = secret;
        Identity = identity;
        IssuedAt = issuedAt;
    }

    /// <summary>The public handle, for listing and revoking.</summary>
    public string TokenId => Identity.TokenId;

    /// <summary>The plaintext bearer secret (<c>mtk_</c> + 43 base64url chars = 256 random bits). Shown once.</summary>
    public string Secret { get; }

    /// <summary>What the token grants.</summary>
    public MeshIdentity Identity { get; }

    /// <summary>When it was issued.</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>When it expires.</summary>
    public DateTimeOffset ExpiresAt => Identity.ExpiresAt;

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"IssuedToken {TokenId} ({Identity.Role} '{Identity.Subject}')";
}
