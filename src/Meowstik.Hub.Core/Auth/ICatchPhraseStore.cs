namespace Meowstik.Hub.Core;

/// <summary>Persistence for hashed catch phrases (one per family member). The embedded default is <c>SqliteCatchPhraseStore</c> of <c>Meowstik.Hub.Sqlite</c>; <see cref="InMemoryCatchPhraseStore"/> keeps them in memory.</summary>
public interface ICatchPhraseStore
{
    /// <summary>Adds or replaces the member's phrase record.</summary>
    Task UpsertAsync(CatchPhraseRecord record, CancellationToken cancellationToken = default);

    /// <summary>Removes the member's phrase; false when there was none.</summary>
    Task<bool> RemoveAsync(string member, CancellationToken cancellationToken = default);

    /// <summary>Lists every stored phrase record.</summary>
    Task<IReadOnlyList<CatchPhraseRecord>> ListAsync(CancellationToken cancellationToken = default);
}
