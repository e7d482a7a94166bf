using Microsoft.Data.Sqlite;

namespace Meowstik.Hub.Sqlite;

/// <summary>The embedded <see cref="ITokenStore"/>: the <c>tokens</c> table of a <see cref="SqliteMeshStore"/> file.</summary>
public sealed class SqliteTokenStore : ITokenStore
{
    private const string SelectColumns =
        "SELECT token_id, hash, role, subject, device_id, permitted_devices, command_grants, issued_at, expires_at, revoked_at FROM tokens";

    private readonly SqliteMeshStore _store;

    /// <summary>Uses the tokens table of <paramref name="store"/>.</summary>
    public SqliteTokenStore(SqliteMeshStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <inheritdoc />
    public async Task AddAsync(TokenRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        TokenInfo info = record.Info;
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText =
            """
            INSERT INTO tokens (token_id, hash, role, subject, device_id, permitted_devices, command_grants, issued_at, expires_at, revoked_at)
            VALUES ($id, $hash, $role, $subject, $device, $permitted, $grants, $issued, $expires, $revoked);
            """;
        command.Parameters.AddWithValue("$id", info.TokenId);
        command.Parameters.AddWithValue("$hash", record.Hash);
        command.Parameters.AddWithValue("$role", (int)info.Role);
        command.Parameters.AddWithValue("$subject", info.Subject);
        command.Parameters.AddWithValue("$device", (object?)info.DeviceId ?? DBNull.Value);
        command.Parameters.AddWithValue("$permitted", SqliteLists.Join(info.PermittedDevices));
        command.Parameters.AddWithValue("$grants", SqliteLists.Join(info.CommandGrants));
        command.Parameters.AddWithValue("$issued", SqliteTime.ToDb(info.IssuedAt));
        command.Parameters.AddWithValue("$expires", SqliteTime.ToDb(info.ExpiresAt));
        command.Parameters.AddWithValue("$revoked", info.RevokedAt is { } r ? SqliteTime.ToDb(r) : DBNull.Value);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT
        {
            throw new InvalidOperationException($"A token with id '{info.TokenId}' or the same hash already exists.", e);
        }
    }

    /// <inheritdoc />
    public async Task<TokenRecord?> FindByHashAsync(ReadOnlyMemory<byte> hash, CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = SelectColumns + " WHERE hash = $hash;";
        command.Parameters.AddWithValue("$hash", hash.ToArray());
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = SelectColumns + " ORDER BY issued_at, token_id;";
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<TokenRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<bool> RevokeAsync(string tokenId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenId);
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE tokens SET revoked_at = $at WHERE token_id = $id AND revoked_at IS NULL;";
        command.Parameters.AddWithValue("$at", SqliteTime.ToDb(revokedAt));
        command.Parameters.AddWithValue("$id", tokenId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> RevokeDeviceAsync(
        string deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText =
            "UPDATE tokens SET revoked_at = $at WHERE device_id = $device AND revoked_at IS NULL RETURNING token_id;";
        command.Parameters.AddWithValue("$at", SqliteTime.ToDb(revokedAt));
        command.Parameters.AddWithValue("$device", deviceId);
        var ids = new List<string>();
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <inheritdoc />
    public async Task<int> DeleteExpiredAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM tokens WHERE expires_at < $before;";
        command.Parameters.AddWithValue("$before", SqliteTime.ToDb(expiredBefore));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static TokenRecord Read(SqliteDataReader reader)
    {
        var hash = (byte[])reader.GetValue(1);
        var info = new TokenInfo
        {
            TokenId = reader.GetString(0),
            Role = (MeshRole)reader.GetInt32(2),
            Subject = reader.GetString(3),
            DeviceId = reader.IsDBNull(4) ? null : reader.GetString(4),
            PermittedDevices = SqliteLists.Split(reader.GetString(5)),
            CommandGrants = SqliteLists.Split(reader.GetString(6)),
            IssuedAt = SqliteTime.FromDb(reader.GetInt64(7)),
            ExpiresAt = SqliteTime.FromDb(reader.GetInt64(8)),
            RevokedAt = reader.IsDBNull(9) ? null : SqliteTime.FromDb(reader.GetInt64(9)),
        };
        return new TokenRecord(hash, info);
    }
}
