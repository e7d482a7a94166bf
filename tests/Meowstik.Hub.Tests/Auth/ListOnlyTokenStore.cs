using Meowstik.Hub.Core;

namespace Meowstik.Hub.Tests.Auth;

/// <summary>An in-memory <see cref="ITokenStore"/> for tests that need to plant exact records.</summary>
internal sealed class ListOnlyTokenStore(params TokenRecord[] seed) : ITokenStore
{
    private readonly List<TokenRecord> _records = [.. seed];

    public Task AddAsync(TokenRecord record, CancellationToken cancellationToken = default)
    {
        lock (_records)
        {
            _records.Add(record);
        }

        return Task.CompletedTask;
    }

    public Task<TokenRecord?> FindByHashAsync(ReadOnlyMemory<byte> hash, CancellationToken cancellationToken = default)
    {
        lock (_records)
        {
            return Task.FromResult(_records.FirstOrDefault(r => r.Hash.AsSpan().SequenceEqual(hash.Span)));
        }
    }

    public Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_records)
        {
            return Task.FromResult<IReadOnlyList<TokenRecord>>(_records.ToArray());
        }
    }

    public Task<bool> RevokeAsync(string tokenId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        lock (_records)
        {
            int i = _records.FindIndex(r => r.Info.TokenId == tokenId && r.Info.RevokedAt is null);
            if (i < 0)
            {
                return Task.FromResult(false);
            }

            _records[i] = new TokenRecord(_records[i].Hash, _records[i].Info with { RevokedAt = revokedAt });
            return Task.FromResult(true);
        }
    }

    public async Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        string[] ids;
        lock (_records)
        {
            ids = _records.Where(r => r.Info.DeviceId == deviceId && r.Info.RevokedAt is null).Select(r => r.Info.TokenId).ToArray();
        }

        foreach (string id in ids)
        {
            await RevokeAsync(id, revokedAt, cancellationToken);
        }

        return ids;
    }

    public Task<int> DeleteExpiredAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default)
    {
        lock (_records)
        {
            return Task.FromResult(_records.RemoveAll(r => r.Info.ExpiresAt < expiredBefore));
        }
    }
}
