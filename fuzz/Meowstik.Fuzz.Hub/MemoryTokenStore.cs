using Meowstik.Hub.Core;

namespace Meowstik.Fuzz.Hub;

/// <summary>Tokens kept in memory: the fuzzer needs a working auth setup, not a database file per run.</summary>
internal sealed class MemoryTokenStore : ITokenStore
{
    private readonly Lock _lock = new();
    private readonly List<TokenRecord> _records = [];

    public Task AddAsync(TokenRecord record, CancellationToken cancellationToken = default)
    {
        lock (_lock) _records.Add(record);
        return Task.CompletedTask;
    }

    public Task<TokenRecord?> FindByHashAsync(ReadOnlyMemory<byte> hash, CancellationToken cancellationToken = default)
    {
        lock (_lock) return Task.FromResult(_records.Find(r => r.Hash.AsSpan().SequenceEqual(hash.Span)));
    }

    public Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock) return Task.FromResult<IReadOnlyList<TokenRecord>>([.. _records]);
    }

    public Task<bool> RevokeAsync(string tokenId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        lock (_lock) return Task.FromResult(Revoke(r => r.Info.TokenId == tokenId, revokedAt).Count > 0);
    }

    public Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        lock (_lock) return Task.FromResult<IReadOnlyList<string>>(Revoke(r => r.Info.DeviceId == deviceId, revokedAt));
    }

    public Task<int> DeleteExpiredAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default)
    {
        lock (_lock) return Task.FromResult(_records.RemoveAll(r => r.Info.ExpiresAt < expiredBefore));
    }

    private List<string> Revoke(Predicate<TokenRecord> match, DateTimeOffset revokedAt)
    {
        var revoked = new List<string>();
        for (int i = 0; i < _records.Count; i++)
        {
            TokenRecord record = _records[i];
            if (record.Info.RevokedAt is not null || !match(record)) continue;
            _records[i] = new TokenRecord(record.Hash, record.Info with { RevokedAt = revokedAt });
            revoked.Add(record.Info.TokenId);
        }
        return revoked;
    }
}
