using Meowstik.Hub.Core;

namespace Meowstik.Hub.Tests.Auth;

/// <summary>Wraps a store and counts reads, to prove authentication does not hit the store.</summary>
internal sealed class CountingTokenStore(ITokenStore inner) : ITokenStore
{
    public int Lists { get; private set; }

    public int Finds { get; private set; }

    public Task AddAsync(TokenRecord record, CancellationToken cancellationToken = default) => inner.AddAsync(record, cancellationToken);

    public Task<TokenRecord?> FindByHashAsync(ReadOnlyMemory<byte> hash, CancellationToken cancellationToken = default)
    {
        Finds++;
        return inner.FindByHashAsync(hash, cancellationToken);
    }

    public Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        Lists++;
        return inner.ListAsync(cancellationToken);
    }

    public Task<bool> RevokeAsync(string tokenId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default) =>
        inner.RevokeAsync(tokenId, revokedAt, cancellationToken);

    public Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default) =>
        inner.RevokeDeviceAsync(deviceId, revokedAt, cancellationToken);

    public Task<int> DeleteExpiredAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default) =>
        inner.DeleteExpiredAsync(expiredBefore, cancellationToken);
}
