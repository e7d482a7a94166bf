using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>
/// The stores <see cref="MeshHub.CreateAsync"/> composes a hub with: hashed tokens, catch phrases, the audit trail, and the
/// storage they share. The hub owns them from then on: disposing it flushes and disposes the audit sink, then disposes the
/// stores (those that are disposable) and <see cref="Storage"/>. <see cref="InMemory"/> keeps everything in process memory;
/// <c>Meowstik.Hub.Sqlite</c> puts them in one SQLite file (<c>SqliteMeshHub.CreateAsync</c>).
/// </summary>
/// <example>
/// <code>
/// await using MeshHub hub = await MeshHub.CreateAsync(MeshHubStores.InMemory());   // tests and demos: no file
/// </code>
/// </example>
public sealed class MeshHubStores
{
    /// <summary>Where hashed tokens live.</summary>
    public required ITokenStore Tokens { get; init; }

    /// <summary>Where hashed catch phrases live; without one the hub has no catch-phrase registry.</summary>
    public ICatchPhraseStore? CatchPhrases { get; init; }

    /// <summary>Where audit records go; without one the hub keeps no audit trail.</summary>
    public IAuditSink? Audit { get; init; }

    /// <summary>What the stores share (for example the database file), disposed after them.</summary>
    public IAsyncDisposable? Storage { get; init; }

    /// <summary>
    /// Every store in process memory: <see cref="InMemoryTokenStore"/>, <see cref="InMemoryCatchPhraseStore"/> and an
    /// <see cref="InMemoryAuditSink"/> keeping the newest <paramref name="auditCapacity"/> records. Nothing survives the process.
    /// </summary>
    public static MeshHubStores InMemory(int auditCapacity = InMemoryAuditSink.DefaultCapacity) => new()
    {
        Tokens = new InMemoryTokenStore(),
        CatchPhrases = new InMemoryCatchPhraseStore(),
        Audit = new InMemoryAuditSink(auditCapacity),
    };
}

/// <summary>The auth manager and catch-phrase registry built over a <see cref="MeshHubStores"/>, disposed with the hub.</summary>
internal sealed class OwnedStores : IAsyncDisposable
{
    private readonly MeshHubStores _stores;

    private OwnedStores(MeshHubStores stores, AuthManager auth, CatchPhraseRegistry? catchPhrases)
    {
        _stores = stores;
        Auth = auth;
        CatchPhrases = catchPhrases;
    }

    public AuthManager Auth { get; }

    public CatchPhraseRegistry? CatchPhrases { get; }

    public static async Task<OwnedStores> OpenAsync(
        MeshHubStores stores,
        MeshHubOptions options,
        TimeProvider? time,
        ILoggerFactory? loggerFactory,
        IMeterFactory? meterFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stores.Tokens, nameof(stores));
        AuthManager? auth = null;
        try
        {
            options.Validate();
            auth = new AuthManager(stores.Tokens, options.Auth, stores.Audit, time, loggerFactory?.CreateLogger<AuthManager>(), meterFactory);
            await auth.LoadAsync(cancellationToken).ConfigureAwait(false);
            CatchPhraseRegistry? catchPhrases = stores.CatchPhrases is null
                ? null
                : new CatchPhraseRegistry(stores.CatchPhrases, auth, loggerFactory?.CreateLogger<CatchPhraseRegistry>());
            return new OwnedStores(stores, auth, catchPhrases);
        }
        catch
        {
            await DisposeAllAsync(stores, auth).ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(_stores, Auth);

    private static async ValueTask DisposeAllAsync(MeshHubStores stores, AuthManager? auth)
    {
        // The audit sink first (it writes what is still queued), the storage they all share last.
        await DisposeAsync(stores.Audit).ConfigureAwait(false);
        auth?.Dispose();
        await DisposeAsync(stores.CatchPhrases).ConfigureAwait(false);
        await DisposeAsync(stores.Tokens).ConfigureAwait(false);
        if (stores.Storage is not null) await stores.Storage.DisposeAsync().ConfigureAwait(false);
    }

    private static ValueTask DisposeAsync(object? store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                return asyncDisposable.DisposeAsync();
            case IDisposable disposable:
                disposable.Dispose();
                return ValueTask.CompletedTask;
            default:
                return ValueTask.CompletedTask;
        }
    }
}
