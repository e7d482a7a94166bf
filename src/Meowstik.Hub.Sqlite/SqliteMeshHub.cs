using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Sqlite;

/// <summary>Creates hubs, or their stores, over one SQLite file: hashed tokens, catch phrases and the batched audit trail.</summary>
/// <example>
/// <code>
/// await using MeshHub hub = await SqliteMeshHub.CreateAsync(new MeshHubOptions(), new SqliteHubOptions { DatabasePath = "hub.db" });
/// IssuedToken token = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Desktop", DeviceId = "desktop-001" });
/// // for each accepted WebSocket (or its upgraded stream):
/// await hub.HandleConnectionAsync(socket, new MeshConnectionInfo(remoteAddress), cancellationToken);
/// </code>
/// </example>
public static class SqliteMeshHub
{
    /// <summary>
    /// Creates a hub whose tokens, catch phrases and audit trail live in <see cref="SqliteHubOptions.DatabasePath"/>
    /// (created and migrated if needed), with in-memory state and a single-node backplane. Disposing the hub writes the
    /// queued audit records and closes the file.
    /// </summary>
    /// <param name="options">Hub settings (including <see cref="MeshHubOptions.Audit"/> for the audit writer); defaults when null.</param>
    /// <param name="sqlite">Where the file is; <c>meowstik-hub.db</c> in the working directory when null.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Logging; silent when null.</param>
    /// <param name="meterFactory">Creates the meters; standalone meters when null.</param>
    /// <param name="cancellationToken">Stops opening the file and loading the tokens.</param>
    public static async Task<MeshHub> CreateAsync(
        MeshHubOptions? options = null,
        SqliteHubOptions? sqlite = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new MeshHubOptions();
        options.Validate();
        MeshHubStores stores = await OpenStoresAsync(sqlite, options.Audit, timeProvider, loggerFactory, meterFactory, cancellationToken).ConfigureAwait(false);
        return await MeshHub.CreateAsync(stores, options, timeProvider, loggerFactory, meterFactory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the SQLite file and returns the stores over it, for <see cref="MeshHub.CreateAsync"/> (which then owns them)
    /// or for composing a hub yourself (then dispose <see cref="MeshHubStores.Audit"/> and <see cref="MeshHubStores.Storage"/>).
    /// </summary>
    /// <param name="sqlite">Where the file is; <c>meowstik-hub.db</c> in the working directory when null.</param>
    /// <param name="audit">The audit writer's queue, batch and retention settings; defaults when null.</param>
    /// <param name="timeProvider">The audit writer's clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Logging; silent when null.</param>
    /// <param name="meterFactory">Creates the audit meter; a standalone meter when null.</param>
    /// <param name="cancellationToken">Stops opening the file.</param>
    public static async Task<MeshHubStores> OpenStoresAsync(
        SqliteHubOptions? sqlite = null,
        AuditOptions? audit = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        CancellationToken cancellationToken = default)
    {
        sqlite ??= new SqliteHubOptions();
        sqlite.Validate();
        (audit ??= new AuditOptions()).Validate();
        SqliteMeshStore database = await SqliteMeshStore.OpenAsync(sqlite.DatabasePath, cancellationToken).ConfigureAwait(false);
        return new MeshHubStores
        {
            Tokens = new SqliteTokenStore(database),
            CatchPhrases = new SqliteCatchPhraseStore(database),
            Audit = new SqliteAuditSink(database, audit, timeProvider, loggerFactory?.CreateLogger<SqliteAuditSink>(), meterFactory),
            Storage = database,
        };
    }
}
