using System.Diagnostics.Metrics;
using System.Text;
using System.Threading.Channels;
using Meowstik.Hub.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Hub.Audit;

/// <summary>
/// The embedded <see cref="IAuditSink"/>: the <c>audit</c> table of a <see cref="SqliteMeshStore"/> file, written in batches
/// by one background writer. <see cref="TryWrite(in AuditRecord)"/> only enqueues into a bounded channel (never blocks,
/// never touches the disk); when the queue is full the record is dropped, counted (<c>audit.dropped</c>) and logged.
/// A batch is written when it reaches <see cref="AuditOptions.BatchSize"/>, when its oldest record has waited
/// <see cref="AuditOptions.FlushInterval"/>, on <see cref="FlushAsync"/> and on dispose, as one transaction reusing one
/// prepared insert. Rows older than <see cref="AuditOptions.Retention"/> are deleted every
/// <see cref="AuditOptions.RetentionInterval"/>.
/// </summary>
public sealed partial class SqliteAuditSink : IAuditSink, IAsyncDisposable
{
    /// <summary>The name of the meter carrying <c>audit.written</c> and <c>audit.dropped</c>.</summary>
    public const string MeterName = "Meowstik.Hub.Audit";

    private readonly SqliteMeshStore _store;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;
    private readonly Channel<AuditRecord> _channel;
    private readonly Lock _flushLock = new();
    private readonly List<TaskCompletionSource> _flushWaiters = [];
    private readonly ITimer? _retentionTimer;
    private readonly Task _writer;
    private TaskCompletionSource _wake = NewSignal();
    private long _droppedCount;
    private long _writtenCount;
    private long _droppedSinceReport;
    private int _disposed;

    /// <summary>Starts the background writer on <paramref name="store"/>'s audit table.</summary>
    /// <param name="store">The shared database file.</param>
    /// <param name="options">Queue, batch and retention settings; defaults when null.</param>
    /// <param name="timeProvider">The clock for the flush interval and retention; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Logger; silent when null.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Hub.Audit</c> meter; a standalone meter when null.</param>
    public SqliteAuditSink(
        SqliteMeshStore store,
        AuditOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<SqliteAuditSink>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _options = options ?? new AuditOptions();
        _options.Validate();
        _store = store;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _written = _meter.CreateCounter<long>("audit.written", description: "Audit records stored.");
        _dropped = _meter.CreateCounter<long>("audit.dropped", description: "Audit records lost, tagged by reason (queue_full, write_error, closed).");
        _channel = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then returns false instead of waiting: we count the drop.
            AllowSynchronousContinuations = false,
        });
        _writer = Task.Run(RunWriterAsync);
        if (_options.Retention is not null)
        {
            _retentionTimer = _time.CreateTimer(
                static state => _ = ((SqliteAuditSink)state!).RunRetentionAsync(),
                this,
                _options.RetentionInterval,
                _options.RetentionInterval);
        }
    }

    /// <summary>Records lost so far (queue full, write errors, or posted after dispose).</summary>
    public long DroppedCount => Interlocked.Read(ref _droppedCount);

    /// <summary>Records stored so far by this instance.</summary>
    public long WrittenCount => Interlocked.Read(ref _writtenCount);

    /// <inheritdoc />
    public bool TryWrite(in AuditRecord record)
    {
        if (_channel.Writer.TryWrite(record))
        {
            return true;
        }

        CountDrop(1, Volatile.Read(ref _disposed) != 0 || _writer.IsCompleted ? "closed" : "queue_full");
        return false;
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushLock)
        {
            if (_writer.IsCompleted)
            {
                return;
            }

            _flushWaiters.Add(done);
        }

        Volatile.Read(ref _wake).TrySetResult();
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        var sql = new StringBuilder(
            "SELECT time, kind, outcome, message_id, message_type, from_id, to_id, size, reason, detail FROM audit WHERE 1 = 1");
        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        if (query.DeviceId is not null)
        {
            sql.Append(" AND (from_id = $device OR to_id = $device)");
            command.Parameters.AddWithValue("$device", query.DeviceId);
        }

        if (query.Since is { } since)
        {
            sql.Append(" AND time >= $since");
            command.Parameters.AddWithValue("$since", SqliteTime.ToDb(since));
        }

        if (query.Until is { } until)
        {
            sql.Append(" AND time < $until");
            command.Parameters.AddWithValue("$until", SqliteTime.ToDb(until));
        }

        if (query.Kind is { } kind)
        {
            sql.Append(" AND kind = $kind");
            command.Parameters.AddWithValue("$kind", (int)kind);
        }

        if (query.Outcome is { } outcome)
        {
            sql.Append(" AND outcome = $outcome");
            command.Parameters.AddWithValue("$outcome", (int)outcome);
        }

        sql.Append(query.NewestFirst ? " ORDER BY time DESC, id DESC" : " ORDER BY time, id").Append(" LIMIT $limit;");
        command.Parameters.AddWithValue("$limit", query.Limit);
        command.CommandText = sql.ToString();

        var rows = new List<AuditRecord>();
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new AuditRecord
            {
                Time = SqliteTime.FromDb(reader.GetInt64(0)),
                Kind = (AuditKind)reader.GetInt32(1),
                Outcome = (AuditOutcome)reader.GetInt32(2),
                MessageId = StringOrNull(reader, 3),
                MessageType = StringOrNull(reader, 4),
                From = StringOrNull(reader, 5),
                To = StringOrNull(reader, 6),
                Size = reader.GetInt32(7),
                Reason = StringOrNull(reader, 8),
                Detail = StringOrNull(reader, 9),
            });
        }

        return rows;
    }

    /// <summary>Deletes rows older than <see cref="AuditOptions.Retention"/> now; returns how many. Runs periodically on its own.</summary>
    public async Task<int> ApplyRetentionAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Retention is not { } retention)
        {
            return 0;
        }

        await using SqliteConnection connection = await _store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM audit WHERE time < $before;";
        command.Parameters.AddWithValue("$before", SqliteTime.ToDb(_time.GetUtcNow() - retention));
        int deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            Log.RetentionDeleted(_logger, deleted, retention);
        }

        return deleted;
    }

    /// <summary>Stops accepting records, writes everything still queued, and stops retention.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_retentionTimer is not null)
        {
            await _retentionTimer.DisposeAsync().ConfigureAwait(false);
        }

        _channel.Writer.TryComplete();
        Volatile.Read(ref _wake).TrySetResult();
        await _writer.ConfigureAwait(false);
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private async Task RunWriterAsync()
    {
        try
        {
            await WriteUntilCompletedAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The database is unusable (for example the file cannot be opened). Stop accepting records so that every
            // later TryWrite is counted as a drop, and never leave a FlushAsync caller waiting.
            Log.WriterFailed(_logger, e);
            _channel.Writer.TryComplete();
            int lost = 0;
            while (_channel.Reader.TryRead(out _))
            {
                lost++;
            }

            if (lost > 0)
            {
                CountDrop(lost, "write_error");
            }
        }
        finally
        {
            lock (_flushLock)
            {
                _flushWaiters.ForEach(static f => f.TrySetResult());
                _flushWaiters.Clear();
            }
        }
    }

    private async Task WriteUntilCompletedAsync()
    {
        ChannelReader<AuditRecord> reader = _channel.Reader;
        var batch = new List<AuditRecord>(_options.BatchSize);
        await using SqliteConnection connection = await OpenWriterConnectionAsync().ConfigureAwait(false);
        await using var insert = new BatchInsert(connection);
        Task? readable = null;
        Task? deadline = null;
        DateTimeOffset batchStarted = default;

        while (true)
        {
            List<TaskCompletionSource>? flushes = TakeFlushWaiters();
            bool completing = reader.Completion.IsCompleted || Volatile.Read(ref _disposed) != 0;
            bool drainAll = flushes is not null || completing;

            while (reader.TryRead(out AuditRecord record))
            {
                if (batch.Count == 0)
                {
                    batchStarted = _time.GetUtcNow();
                }

                batch.Add(record);
                if (batch.Count >= _options.BatchSize)
                {
                    await WriteBatchAsync(insert, batch).ConfigureAwait(false);
                    if (!drainAll)
                    {
                        break;
                    }
                }
            }

            if (batch.Count > 0 && (drainAll || _time.GetUtcNow() - batchStarted >= _options.FlushInterval))
            {
                await WriteBatchAsync(insert, batch).ConfigureAwait(false);
            }

            ReportDrops();
            flushes?.ForEach(static f => f.TrySetResult());
            if (reader.Completion.IsCompleted && batch.Count == 0)
            {
                break;
            }

            // Sleep until more records arrive, a flush or dispose wakes us, or the partial batch falls due.
            TaskCompletionSource wake = Volatile.Read(ref _wake);
            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, NewSignal(), wake);
                continue;
            }

            if (readable is null || readable.IsCompleted)
            {
                readable = reader.WaitToReadAsync().AsTask();
            }

            if (batch.Count > 0 && (deadline is null || deadline.IsCompleted))
            {
                TimeSpan remaining = batchStarted + _options.FlushInterval - _time.GetUtcNow();
                deadline = Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time);
            }

            await (batch.Count > 0
                ? Task.WhenAny(readable, wake.Task, deadline!)
                : Task.WhenAny(readable, wake.Task)).ConfigureAwait(false);
        }
    }

    private async Task WriteBatchAsync(BatchInsert insert, List<AuditRecord> batch)
    {
        try
        {
            await insert.WriteAsync(batch).ConfigureAwait(false);
            Interlocked.Add(ref _writtenCount, batch.Count);
            _written.Add(batch.Count);
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or IOException)
        {
            Log.WriteFailed(_logger, e, batch.Count);
            CountDrop(batch.Count, "write_error");
        }
        finally
        {
            batch.Clear();
        }
    }

    private async Task RunRetentionAsync()
    {
        try
        {
            await ApplyRetentionAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or IOException or ObjectDisposedException)
        {
            Log.RetentionFailed(_logger, e);
        }
    }

    private async Task<SqliteConnection> OpenWriterConnectionAsync()
    {
        SqliteConnection connection = await _store.OpenConnectionAsync().ConfigureAwait(false);
        // Audit rows are not worth an fsync per commit: in WAL mode NORMAL stays consistent and loses at most the last
        // batches on power loss (never on a process crash).
        await SqliteMeshStore.ExecuteAsync(connection, "PRAGMA synchronous=NORMAL;", CancellationToken.None).ConfigureAwait(false);
        return connection;
    }

    private List<TaskCompletionSource>? TakeFlushWaiters()
    {
        lock (_flushLock)
        {
            if (_flushWaiters.Count == 0)
            {
                return null;
            }

            var taken = new List<TaskCompletionSource>(_flushWaiters);
            _flushWaiters.Clear();
            return taken;
        }
    }

    private void CountDrop(int count, string reason)
    {
        Interlocked.Add(ref _droppedCount, count);
        _dropped.Add(count, new KeyValuePair<string, object?>("reason", reason));
        // Log the first drop at once, then let the writer summarize the rest (a flood must not flood the log).
        if (Interlocked.Add(ref _droppedSinceReport, count) == count)
        {
            Log.Dropping(_logger, reason);
        }
    }

    private void ReportDrops()
    {
        long dropped = Interlocked.Exchange(ref _droppedSinceReport, 0);
        if (dropped > 1)
        {
            Log.Dropped(_logger, dropped, DroppedCount);
        }
    }

    private static string? StringOrNull(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One prepared INSERT reused for every row of every batch; each batch is one transaction.</summary>
    private sealed class BatchInsert : IAsyncDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _command;
        private readonly SqliteParameter _time, _kind, _outcome, _messageId, _messageType, _from, _to, _size, _reason, _detail;

        public BatchInsert(SqliteConnection connection)
        {
            _connection = connection;
            _command = connection.CreateCommand();
            _command.CommandText =
                """
                INSERT INTO audit (time, kind, outcome, message_id, message_type, from_id, to_id, size, reason, detail)
                VALUES ($time, $kind, $outcome, $message_id, $message_type, $from, $to, $size, $reason, $detail);
                """;
            _time = Add("$time", SqliteType.Integer);
            _kind = Add("$kind", SqliteType.Integer);
            _outcome = Add("$outcome", SqliteType.Integer);
            _messageId = Add("$message_id", SqliteType.Text);
            _messageType = Add("$message_type", SqliteType.Text);
            _from = Add("$from", SqliteType.Text);
            _to = Add("$to", SqliteType.Text);
            _size = Add("$size", SqliteType.Integer);
            _reason = Add("$reason", SqliteType.Text);
            _detail = Add("$detail", SqliteType.Text);
        }

        public async Task WriteAsync(List<AuditRecord> batch)
        {
            await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync().ConfigureAwait(false);
            _command.Transaction = transaction;
            foreach (AuditRecord r in batch)
            {
                _time.Value = SqliteTime.ToDb(r.Time);
                _kind.Value = (int)r.Kind;
                _outcome.Value = (int)r.Outcome;
                _messageId.Value = (object?)r.MessageId ?? DBNull.Value;
                _messageType.Value = (object?)r.MessageType ?? DBNull.Value;
                _from.Value = (object?)r.From ?? DBNull.Value;
                _to.Value = (object?)r.To ?? DBNull.Value;
                _size.Value = r.Size;
                _reason.Value = (object?)r.Reason ?? DBNull.Value;
                _detail.Value = (object?)r.Detail ?? DBNull.Value;
                await _command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await transaction.CommitAsync().ConfigureAwait(false);
            _command.Transaction = null;
        }

        public ValueTask DisposeAsync() => _command.DisposeAsync();

        private SqliteParameter Add(string name, SqliteType type)
        {
            SqliteParameter parameter = _command.CreateParameter();
            parameter.ParameterName = name;
            parameter.SqliteType = type;
            parameter.Value = DBNull.Value;
            _command.Parameters.Add(parameter);
            return parameter;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(201, LogLevel.Warning, "Audit records are being dropped ({Reason})")]
        public static partial void Dropping(ILogger logger, string reason);

        [LoggerMessage(202, LogLevel.Warning, "Dropped {Count} audit records since the last report ({Total} in all)")]
        public static partial void Dropped(ILogger logger, long count, long total);

        [LoggerMessage(203, LogLevel.Error, "Writing a batch of {Count} audit records failed; they are dropped")]
        public static partial void WriteFailed(ILogger logger, Exception exception, int count);

        [LoggerMessage(204, LogLevel.Information, "Audit retention deleted {Count} rows older than {Retention}")]
        public static partial void RetentionDeleted(ILogger logger, int count, TimeSpan retention);

        [LoggerMessage(206, LogLevel.Critical, "The audit writer stopped; further audit records are dropped")]
        public static partial void WriterFailed(ILogger logger, Exception exception);

        [LoggerMessage(205, LogLevel.Error, "Audit retention failed")]
        public static partial void RetentionFailed(ILogger logger, Exception exception);
    }
}
