namespace Meowstik.Hub.Core;

/// <summary>
/// Raised by <see cref="AuthManager.TokenRevoked"/> after a token is revoked, so the connection layer can close
/// every live connection authenticated with <see cref="TokenId"/> (and, for device tokens, the device <see cref="DeviceId"/>).
/// </summary>
public sealed class TokenRevokedEventArgs : EventArgs
{
    /// <summary>Creates the notification.</summary>
    public TokenRevokedEventArgs(string tokenId, MeshRole role, string subject, string? deviceId, DateTimeOffset revokedAt)
    {
        TokenId = tokenId;
        Role = role;
        Subject = subject;
        DeviceId = deviceId;
        RevokedAt = revokedAt;
    }

    /// <summary>The revoked token's public handle.</summary>
    public string TokenId { get; }

    /// <summary>The role the token granted.</summary>
    public MeshRole Role { get; }

    /// <summary>Display name of the holder.</summary>
    public string Subject { get; }

    /// <summary>The device the token was bound to, for device tokens; otherwise null.</summary>
    public string? DeviceId { get; }

    /// <summary>When it was revoked.</summary>
    public DateTimeOffset RevokedAt { get; }
}
