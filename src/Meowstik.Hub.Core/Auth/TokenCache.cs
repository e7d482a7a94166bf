using System.Collections.Concurrent;

namespace Meowstik.Hub.Core;

/// <summary>
/// The token store's contents in memory, keyed by hash (authentication never reads the database) and by id: loading and
/// reloading, adding issued tokens, revocation (persistent, then reported through the callback given at construction) and
/// purging of long-expired tokens. Thread-safe.
/// </summary>
internal sealed class TokenCache : IDisposable
{
    private readonly ITokenStore _store;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<TokenInfo, DateTimeOffset> _revoked;
    private readonly ConcurrentDictionary<UInt128, CachedToken> _byHash = new();
    private readonly ConcurrentDictionary<string, CachedToken> _byId = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile bool _loaded;
    private long _nextPurgeTicks;

    /// <param name="store">Where hashed tokens live.</param>
    /// <param name="options">Retention and purge interval of expired tokens.</param>
    /// <param name="time">The clock for revocation times and expiry.</param>
    /// <param name="revoked">Called once per token that this process sees revoked (here or, found on reload, elsewhere).</param>
    public TokenCache(ITokenStore store, AuthOptions options, TimeProvider time, Action<TokenInfo, DateTimeOffset> revoked)
    {
        _store = store;
        _options = options;
        _time = time;
        _revoked = revoked;
    }

    /// <summary>True once the store was loaded at least once.</summary>
    public bool IsLoaded => _loaded;

    /// <summary>(Re)loads every stored token.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<TokenRecord> records = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
            foreach (TokenRecord record in records)
            {
                CachedToken entry = _byId.GetOrAdd(record.Info.TokenId, static (_, r) => new CachedToken(r), record);
                if (record.Info.RevokedAt is { } at && entry.MarkRevoked())
                {
                    // Revoked by another process since we cached it: close its connections here too.
                    _revoked(entry.Info, at);
                }

                _byHash[TokenSecrets.KeyOf(entry.Hash)] = entry;
            }

            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    public async ValueTask EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        // A second concurrent first-use load is harmless: LoadAsync is idempotent.
        if (!_loaded)
        {
            await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stores a newly issued token and caches it.</summary>
    public async Task<CachedToken> AddAsync(TokenRecord record, CancellationToken cancellationToken)
    {
        await _store.AddAsync(record, cancellationToken).ConfigureAwait(false);
        var entry = new CachedToken(record);
        _byId[record.Info.TokenId] = entry;
        _byHash[TokenSecrets.KeyOf(record.Hash)] = entry;
        return entry;
    }

    /// <summary>The cached token with this hash (compared in full, in constant time), or null.</summary>
    public CachedToken? Find(ReadOnlySpan<byte> hash) =>
        _byHash.TryGetValue(TokenSecrets.KeyOf(hash), out CachedToken? entry) && TokenSecrets.Matches(entry.Hash, hash) ? entry : null;

    public async Task<IReadOnlyList<TokenInfo>> ListAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<TokenRecord> records = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        return records.Select(static r => r.Info).ToArray();
    }

    /// <summary>Revokes one token; false when no such token exists or it was already revoked.</summary>
    public async Task<bool> RevokeAsync(string tokenId, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = _time.GetUtcNow();
        bool stored = await _store.RevokeAsync(tokenId, now, cancellationToken).ConfigureAwait(false);
        bool cached = _byId.TryGetValue(tokenId, out CachedToken? entry) && entry.MarkRevoked();
        if (cached)
        {
            _revoked(entry!.Info, now);
        }

        return stored || cached;
    }

    /// <summary>Revokes every token bound to a device; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = _time.GetUtcNow();
        IReadOnlyList<string> storedIds = await _store.RevokeDeviceAsync(deviceId, now, cancellationToken).ConfigureAwait(false);
        var revoked = new List<string>(storedIds);
        foreach (string id in storedIds)
        {
            if (_byId.TryGetValue(id, out CachedToken? entry) && entry.MarkRevoked())
            {
                _revoked(entry.Info, now);
            }
        }

        // Cached tokens the store no longer saw as live (revoked elsewhere) still get closed here.
        foreach (CachedToken entry in _byId.Values)
        {
            if (entry.Info.DeviceId == deviceId && entry.MarkRevoked())
            {
                revoked.Add(entry.Info.TokenId);
                _revoked(entry.Info, now);
            }
        }

        return revoked;
    }

    /// <summary>Revokes every live family token issued to a member; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> RevokeFamilyMemberAsync(string member, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var revoked = new List<string>();
        foreach (CachedToken entry in _byId.Values)
        {
            if (entry.Info.Role == MeshRole.Family && entry.Info.Subject == member && !entry.Identity.IsRevoked &&
                await RevokeAsync(entry.Info.TokenId, cancellationToken).ConfigureAwait(false))
            {
                revoked.Add(entry.Info.TokenId);
            }
        }

        return revoked;
    }

    /// <summary>Purges expired tokens at most once per purge interval (concurrent callers skip); 0 when not due.</summary>
    public async Task<int> PurgeExpiredIfDueAsync(CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().UtcTicks;
        long due = Interlocked.Read(ref _nextPurgeTicks);
        if (now < due || Interlocked.CompareExchange(ref _nextPurgeTicks, now + _options.ExpiredTokenPurgeInterval.Ticks, due) != due)
        {
            return 0;
        }

        return await PurgeExpiredAsync(_options.ExpiredTokenRetention, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes stored tokens that expired more than <paramref name="grace"/> ago and drops them from the cache.</summary>
    public async Task<int> PurgeExpiredAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        DateTimeOffset before = _time.GetUtcNow() - grace;
        int deleted = await _store.DeleteExpiredAsync(before, cancellationToken).ConfigureAwait(false);
        foreach (CachedToken entry in _byId.Values)
        {
            if (entry.Info.ExpiresAt < before)
            {
                _byId.TryRemove(entry.Info.TokenId, out _);
                _byHash.TryRemove(TokenSecrets.KeyOf(entry.Hash), out _);
            }
        }

        return deleted;
    }

    public void Dispose() => _loadLock.Dispose();
}
