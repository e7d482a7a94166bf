namespace Meowstik.Hub.Core;

/// <summary>
/// Persistence for hashed tokens. The embedded default is <c>SqliteTokenStore</c> of <c>Meowstik.Hub.Sqlite</c>, or <see cref="InMemoryTokenStore"/>. Implementations never see a
/// plaintext secret; <see cref="AuthManager"/> caches what it reads, so these calls are off the per-message path.
/// </summary>
public interface ITokenStore
{
    /// <summary>Adds a new token. Throws <see cref="InvalidOperationException"/> when the id or hash already exists.</summary>
    Task AddAsync(TokenRecord record, CancellationToken cancellationToken = default);

    /// <summary>Finds a token (revoked and expired ones included) by the SHA-256 hash of its secret.</summary>
    Task<TokenRecord?> FindByHashAsync(ReadOnlyMemory<byte> hash, CancellationToken cancellationToken = default);

    /// <summary>Lists every stored token, revoked and expired ones included.</summary>
    Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Marks one token revoked. Returns false when it does not exist or was already revoked.</summary>
    Task<bool> RevokeAsync(string tokenId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default);

    /// <summary>Revokes every not-yet-revoked token bound to <paramref name="deviceId"/>; returns their ids.</summary>
    Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default);

    /// <summary>Deletes tokens that expired before <paramref name="expiredBefore"/>; returns how many.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default);
}
