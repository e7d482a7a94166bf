namespace Meowstik.Hub.Core;

/// <summary>
/// An <see cref="ICatchPhraseStore"/> in process memory (only the PBKDF2 hashes, as every store): phrases are gone when
/// the process ends. For tests and demos; use the SQLite store of <c>Meowstik.Hub.Sqlite</c> (or your own) to keep them.
/// Thread-safe.
/// </summary>
public sealed class InMemoryCatchPhraseStore : ICatchPhraseStore
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, CatchPhraseRecord> _byMember = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task UpsertAsync(CatchPhraseRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock) _byMember[record.Member] = Copy(record);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<bool> RemoveAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock) return Task.FromResult(_byMember.Remove(member));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<CatchPhraseRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock) return Task.FromResult<IReadOnlyList<CatchPhraseRecord>>([.. _byMember.Values.Select(Copy)]);
    }

    private static CatchPhraseRecord Copy(CatchPhraseRecord r) =>
        new(r.Member, (byte[])r.Salt.Clone(), (byte[])r.Hash.Clone(), r.Iterations, [.. r.PermittedDevices], r.CreatedAt);
}
