using Microsoft.Data.Sqlite;

namespace Meowstik.Hub.Sqlite;

/// <summary>The embedded <see cref="ICatchPhraseStore"/>: the <c>catch_phrases</c> table of a <see cref="SqliteMeshStore"/> file.</summary>
public sealed class SqliteCatchPhraseStore : ICatchPhraseStore
{
    private readonly SqliteMeshStore _store;

    /// <summary>Uses the catch_phrases table of <paramref name="store"/>.</summary>
    public SqliteCatchPhraseStore(SqliteMeshStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <inheritdoc />
    public async Task UpsertAsync(CatchPhraseRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText =
            """
            INSERT INTO catch_phrases (member, salt, hash, iterations, permitted_devices, created_at)
            VALUES ($member, $salt, $hash, $iterations, $permitted, $created)
            ON CONFLICT (member) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, iterations = excluded.iterations,
                permitted_devices = excluded.permitted_devices, created_at = excluded.created_at;
            """;
        command.Parameters.AddWithValue("$member", record.Member);
        command.Parameters.AddWithValue("$salt", record.Salt);
        command.Parameters.AddWithValue("$hash", record.Hash);
        command.Parameters.AddWithValue("$iterations", record.Iterations);
        command.Parameters.AddWithValue("$permitted", SqliteLists.Join(record.PermittedDevices));
        command.Parameters.AddWithValue("$created", SqliteTime.ToDb(record.CreatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> RemoveAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM catch_phrases WHERE member = $member;";
        command.Parameters.AddWithValue("$member", member);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CatchPhraseRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText =
            "SELECT member, salt, hash, iterations, permitted_devices, created_at FROM catch_phrases ORDER BY member;";
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<CatchPhraseRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new CatchPhraseRecord(
                reader.GetString(0),
                (byte[])reader.GetValue(1),
                (byte[])reader.GetValue(2),
                reader.GetInt32(3),
                SqliteLists.Split(reader.GetString(4)),
                SqliteTime.FromDb(reader.GetInt64(5))));
        }

        return list;
    }
}
