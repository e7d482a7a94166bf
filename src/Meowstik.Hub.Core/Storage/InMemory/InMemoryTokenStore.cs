namespace Meowstik.Hub.Core;

/// <summary>
/// An <see cref="ITokenStore"/> in process memory: nothing is written to disk, and every token is gone when the process
/// ends. For tests, demos and hubs whose tokens are issued at start-up by the host; use the SQLite store of
/// <c>Meowstik.Hub.Sqlite</c> (or your own) to keep tokens across restarts. Thread-safe.
/// </summary>
public sealed class InMemoryTokenStore : ITokenStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TokenRecord> _byId = new(StringComparer.Ordinal);

    /// <summary>Tokens stored, revoked and expired ones included.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _byId.Count;
        }
    }

    /// <inheritdoc />
    public Task AddAsync(TokenRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_byId.ContainsKey(record.Info.TokenId) || FindByHash(record.Hash) is not null)
            {
                throw new InvalidOperationException($"A token with id '{record.Info.TokenId}' or the same hash already exists.");
            }

            _byId.Add(record.Info.TokenId, Copy(record, record.Info));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<TokenRecord?> FindByHashAsync(ReadOnlyMemory<byte> hash, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            TokenRecord? found = FindByHash(hash.Span);
            return Task.FromResult(found is null ? null : Copy(found, found.Info));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<TokenRecord> list = [.. _byId.Values
                .OrderBy(static r => r.Info.IssuedAt)
                .ThenBy(static r => r.Info.TokenId, StringComparer.Ordinal)
                .Select(static r => Copy(r, r.Info))];
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<bool> RevokeAsync(string tokenId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_byId.TryGetValue(tokenId, out TokenRecord? record) || record.Info.IsRevoked)
            {
                return Task.FromResult(false);
            }

            _byId[tokenId] = Copy(record, record.Info with { RevokedAt = revokedAt });
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            List<string> revoked = [];
            foreach (TokenRecord record in _byId.Values.ToArray())
            {
                if (record.Info.IsRevoked || !string.Equals(record.Info.DeviceId, deviceId, StringComparison.Ordinal))
                {
                    continue;
                }

                _byId[record.Info.TokenId] = Copy(record, record.Info with { RevokedAt = revokedAt });
                revoked.Add(record.Info.TokenId);
            }

            return Task.FromResult<IReadOnlyList<string>>(revoked);
        }
    }

    /// <inheritdoc />
    public Task<int> DeleteExpiredAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            string[] expired = [.. _byId.Values.Where(r => r.Info.ExpiresAt < expiredBefore).Select(static r => r.Info.TokenId)];
            foreach (string id in expired)
            {
                _byId.Remove(id);
            }

            return Task.FromResult(expired.Length);
        }
    }

    private TokenRecord? FindByHash(ReadOnlySpan<byte> hash)
    {
        foreach (TokenRecord record in _byId.Values)
        {
            if (hash.SequenceEqual(record.Hash))
            {
                return record;
            }
        }

        return null;
    }

    // Callers get their own copy of the hash array, so nobody can change a stored record from outside.
    private static TokenRecord Copy(TokenRecord record, TokenInfo info) => new((byte[])record.Hash.Clone(), info);
}
