namespace Meowstik.Hub.Core;

/// <summary>A stored token as the <see cref="TokenCache"/> holds it: its hash, its metadata and the one identity shared by its connections.</summary>
internal sealed class CachedToken
{
    private int _revoked;

    public CachedToken(TokenRecord record)
    {
        Hash = record.Hash;
        Info = record.Info;
        Identity = new MeshIdentity(
            Info.TokenId, Info.Role, Info.Subject, Info.DeviceId, Info.PermittedDevices, Info.CommandGrants, Info.ExpiresAt);
        if (Info.RevokedAt is not null)
        {
            Identity.MarkRevoked();
        }
    }

    public byte[] Hash { get; }

    public TokenInfo Info { get; }

    /// <summary>One shared identity per token, so revocation reaches every connection holding it.</summary>
    public MeshIdentity Identity { get; }

    /// <summary>Marks it revoked; true only for the first caller.</summary>
    public bool MarkRevoked()
    {
        Identity.MarkRevoked();
        return Interlocked.Exchange(ref _revoked, 1) == 0 && Info.RevokedAt is null;
    }
}
