using Microsoft.Data.Sqlite;

namespace Meowstik.Hub.Sqlite;

/// <summary>
/// One SQLite file shared by the embedded stores (tokens, catch phrases, audit). Opening it creates the file, switches it
/// to WAL (readers never wait for the audit writer) and applies schema migrations recorded in <c>schema_version</c>.
/// Hand the same instance to <see cref="SqliteTokenStore"/>, <see cref="SqliteCatchPhraseStore"/> and
/// <see cref="SqliteAuditSink"/>; dispose it last.
/// </summary>
/// <example>
/// <code>
/// await using var store = await SqliteMeshStore.OpenAsync("meowstik-hub.db");
/// var tokens = new SqliteTokenStore(store);
/// await using var audit = new SqliteAuditSink(store, new AuditOptions());
/// </code>
/// </example>
public sealed class SqliteMeshStore : IAsyncDisposable, IDisposable
{
    /// <summary>The schema version this build writes. Older files are migrated forward on open.</summary>
    public const int SchemaVersion = 1;

    private SqliteMeshStore(string path, string connectionString)
    {
        Path = path;
        ConnectionString = connectionString;
    }

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    /// <summary>The connection string every store uses (pooled, read-write-create, shared by path).</summary>
    public string ConnectionString { get; }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and brings its schema up to date.</summary>
    /// <exception cref="InvalidOperationException">The file was written by a newer version of this library.</exception>
    public static async Task<SqliteMeshStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = System.IO.Path.GetFullPath(path);
        string? directory = System.IO.Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        };
        var store = new SqliteMeshStore(fullPath, builder.ToString());
        await using (SqliteConnection connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        {
            // WAL is a property of the file: set once, it persists for every later connection.
            await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            await SqliteSchema.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        return store;
    }

    /// <summary>Opens a new pooled connection. The caller disposes it. Connections are not thread-safe: one per task.</summary>
    public async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Releases pooled connections so the file is closed (and may be moved or deleted).</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
