using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Meowstik.Hub.Sqlite;

/// <summary>
/// The audit writer's own connection and its one INSERT, prepared once (persistent) and reused for every row of every
/// batch; each batch is one <c>BEGIN IMMEDIATE</c> transaction. Rows are bound through the native statement rather than
/// <see cref="SqliteCommand"/> parameters: that binder allocates an object per parameter per row and a UTF-8 copy of
/// every string (about 1 KB per row in all), where binding spans here allocates nothing.
/// </summary>
internal sealed class AuditBatchInsert : IDisposable
{
    private const string InsertSql =
        """
        INSERT INTO audit (time, kind, outcome, message_id, message_type, from_id, to_id, size, reason, detail)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);
        """;

    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _insert;
    private readonly long _originalSynchronous;

    private AuditBatchInsert(SqliteConnection connection, sqlite3_stmt insert, long originalSynchronous, string journalMode)
    {
        _connection = connection;
        _insert = insert;
        _originalSynchronous = originalSynchronous;
        JournalMode = journalMode;
    }

    /// <summary>The connection's journal mode as SQLite reported it (<c>wal</c> unless the file system refuses WAL).</summary>
    public string JournalMode { get; }

    public static async Task<AuditBatchInsert> OpenAsync(SqliteMeshStore store)
    {
        SqliteConnection connection = await store.OpenConnectionAsync().ConfigureAwait(false);
        try
        {
            // WAL is a property of the file (the store sets it on open); asking again here is free and makes the writer's
            // mode visible. NORMAL: audit rows are not worth an fsync per commit; in WAL mode it stays consistent and
            // loses at most the last batches on power loss (never on a process crash).
            string journalMode = Convert.ToString(Scalar(connection, "PRAGMA journal_mode=WAL;"), System.Globalization.CultureInfo.InvariantCulture) ?? "";
            long synchronous = Convert.ToInt64(Scalar(connection, "PRAGMA synchronous;"), System.Globalization.CultureInfo.InvariantCulture);
            Scalar(connection, "PRAGMA synchronous=NORMAL;");
            sqlite3 db = connection.Handle!;
            int rc = raw.sqlite3_prepare_v3(db, InsertSql, raw.SQLITE_PREPARE_PERSISTENT, out sqlite3_stmt insert);
            SqliteException.ThrowExceptionForRC(rc, db);
            return new AuditBatchInsert(connection, insert, synchronous, journalMode);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stores <paramref name="batch"/> in one transaction; on error nothing of it is stored.</summary>
    public void Write(List<QueuedAuditRecord> batch)
    {
        using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
        foreach (ref readonly QueuedAuditRecord queued in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch))
        {
            Insert(queued);
        }

        transaction.Commit();
    }

    public void Dispose()
    {
        _insert.Dispose();
        try
        {
            // The connection goes back to the pool shared with the token and catch-phrase stores, whose writes want the
            // file's usual durability back.
            Scalar(_connection, "PRAGMA synchronous=" + _originalSynchronous.ToString(System.Globalization.CultureInfo.InvariantCulture) + ";");
        }
        catch (SqliteException)
        {
            // A broken connection is not returned to the pool in a usable state anyway.
        }

        _connection.Dispose();
    }

    private void Insert(in QueuedAuditRecord queued)
    {
        sqlite3_stmt s = _insert;
        ref readonly AuditRecord r = ref queued.Record;
        Check(raw.sqlite3_bind_int64(s, 1, SqliteTime.ToDb(r.Time)));
        Check(raw.sqlite3_bind_int(s, 2, (int)r.Kind));
        Check(raw.sqlite3_bind_int(s, 3, (int)r.Outcome));
        if (queued.HasInlineId)
        {
            ReadOnlySpan<byte> id = queued.IdUtf8;
            Check(raw.sqlite3_bind_text(s, 4, id[..queued.IdLength]));
        }
        else
        {
            BindText(s, 4, r.MessageId);
        }

        BindText(s, 5, r.MessageType);
        BindText(s, 6, r.From);
        BindText(s, 7, r.To);
        Check(raw.sqlite3_bind_int(s, 8, r.Size));
        BindText(s, 9, r.Reason);
        BindText(s, 10, r.Detail);
        int rc = raw.sqlite3_step(s);
        raw.sqlite3_reset(s);
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
    }

    private void BindText(sqlite3_stmt s, int index, string? value) => Check(value switch
    {
        null => raw.sqlite3_bind_null(s, index),
        // An empty span has no address, which SQLite would store as NULL; the string overload binds a real "".
        { Length: 0 } => raw.sqlite3_bind_text(s, index, string.Empty),
        // UTF-16 straight from the string: SQLite converts it natively, no managed copy.
        _ => raw.sqlite3_bind_text16(s, index, value.AsSpan()),
    });

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
