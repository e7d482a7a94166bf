using Microsoft.Data.Sqlite;

namespace Meowstik.Hub.Sqlite;

/// <summary>Forward-only schema migrations; migration N brings the file from version N-1 to N.</summary>
internal static class SqliteSchema
{
    private static readonly string[] Migrations =
    [
        // 1: tokens, catch phrases, audit.
        """
        CREATE TABLE tokens (
            token_id          TEXT    NOT NULL PRIMARY KEY,
            hash              BLOB    NOT NULL UNIQUE,
            role              INTEGER NOT NULL,
            subject           TEXT    NOT NULL,
            device_id         TEXT    NULL,
            permitted_devices TEXT    NOT NULL,
            command_grants    TEXT    NOT NULL,
            issued_at         INTEGER NOT NULL,
            expires_at        INTEGER NOT NULL,
            revoked_at        INTEGER NULL
        );
        CREATE INDEX ix_tokens_device ON tokens (device_id) WHERE device_id IS NOT NULL;

        CREATE TABLE catch_phrases (
            member            TEXT    NOT NULL PRIMARY KEY,
            salt              BLOB    NOT NULL,
            hash              BLOB    NOT NULL,
            iterations        INTEGER NOT NULL,
            permitted_devices TEXT    NOT NULL,
            created_at        INTEGER NOT NULL
        );

        CREATE TABLE audit (
            id           INTEGER PRIMARY KEY,
            time         INTEGER NOT NULL,
            kind         INTEGER NOT NULL,
            outcome      INTEGER NOT NULL,
            message_id   TEXT    NULL,
            message_type TEXT    NULL,
            from_id      TEXT    NULL,
            to_id        TEXT    NULL,
            size         INTEGER NOT NULL,
            reason       TEXT    NULL,
            detail       TEXT    NULL
        );
        CREATE INDEX ix_audit_time ON audit (time);
        CREATE INDEX ix_audit_from ON audit (from_id, time);
        CREATE INDEX ix_audit_to   ON audit (to_id, time);
        """,
    ];

    public static async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        // IMMEDIATE: two processes opening the same new file cannot both run migration 1.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (SqliteCommand create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);";
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long current;
        await using (SqliteCommand read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version;";
            current = (long)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L);
        }

        if (current > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"The database schema is version {current}, newer than this library's {Migrations.Length}.");
        }

        for (int version = (int)current + 1; version <= Migrations.Length; version++)
        {
            await using SqliteCommand migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = Migrations[version - 1] + "\nINSERT INTO schema_version (version) VALUES ($v);";
            migrate.Parameters.AddWithValue("$v", version);
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
