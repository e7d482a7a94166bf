using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Unicode;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Hub.Sqlite;

/// <summary>
/// The embedded <see cref="IAuditSink"/>: the <c>audit</c> table of a <see cref="SqliteMeshStore"/> file, written in batches
/// by one background writer. <see cref="TryWrite(in AuditRecord)"/> only enqueues (never blocks, never touches the disk).
/// </summary>
/// <remarks>
/// <para>
/// Two bounded queues: message records (<see cref="AuditOptions.QueueCapacity"/>) and auth records
/// (<see cref="AuditOptions.SecurityQueueCapacity"/>, written first). A full message queue drops the record, counted
/// (<see cref="DroppedCount"/>, meter <c>audit.dropped</c> with reason <c>queue_full</c>) and logged at most every
/// 10 seconds; auth records are never pushed out by messages and are dropped only if their own reserve is full
/// (<c>security_overflow</c>, logged as an error). Producers that can wait should honour
/// <see cref="IsBackpressured"/> / <see cref="WaitForCapacityAsync"/>, and then nothing is dropped.
/// </para>
/// <para>
/// A batch is written when it reaches <see cref="AuditOptions.BatchSize"/> (up to <see cref="AuditOptions.MaxBatchSize"/>
/// when the queue is deeper), when its oldest record has waited <see cref="AuditOptions.FlushInterval"/>, on
/// <see cref="FlushAsync"/> and on dispose: one transaction reusing one prepared insert, on a connection in WAL mode with
/// <c>synchronous=NORMAL</c>. Rows older than <see cref="AuditOptions.Retention"/> are deleted every
/// <see cref="AuditOptions.RetentionInterval"/>.
/// </para>
/// </remarks>
public sealed partial class SqliteAuditSink : IAuditSink, IAsyncDisposable
{
    /// <summary>The name of the meter carrying <c>audit.written</c> and <c>audit.dropped</c>.</summary>
    public const string MeterName = "Meowstik.Hub.Audit";

    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);

    private readonly SqliteMeshStore _store;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;
    private readonly Channel<QueuedAuditRecord> _messages;
    private readonly Channel<QueuedAuditRecord> _security;
    private readonly AuditCapacityGate _gate;
    private readonly Lock _flushLock = new();
    private readonly List<TaskCompletionSource> _flushWaiters = [];
    private readonly ITimer? _retentionTimer;
    private readonly Task _writer;
    private TaskCompletionSource _wake = NewSignal();
    private long _droppedCount;
    private long _writtenCount;
    private long _droppedSinceReport;
    private long _lastDropReport;
    private int _disposed;

    /// <summary>Starts the background writer on <paramref name="store"/>'s audit table.</summary>
    /// <param name="store">The shared database file.</param>
    /// <param name="options">Queue, batch and retention settings; defaults when null.</param>
    /// <param name="timeProvider">The clock for the flush interval and retention; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Logger; silent when null.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Hub.Core</c> meter; a standalone meter when null.</param>
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
        _dropped = _meter.CreateCounter<long>(
            "audit.dropped", description: "Audit records lost, tagged by reason (queue_full, security_overflow, write_error, closed).");
        _messages = CreateQueue(_options.QueueCapacity);
        _security = CreateQueue(_options.SecurityQueueCapacity);
        _gate = new AuditCapacityGate(_options.QueueCapacity, _options.SecurityQueueCapacity);
        _lastDropReport = _time.GetTimestamp();
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

    /// <summary>Records lost so far (queue full, security reserve full, write errors, or posted after dispose).</summary>
    public long DroppedCount => Interlocked.Read(ref _droppedCount);

    /// <summary>Records stored so far by this instance.</summary>
    public long WrittenCount => Interlocked.Read(ref _writtenCount);

    /// <summary>
    /// True from the moment the message queue reaches 3/4 of <see cref="AuditOptions.QueueCapacity"/> (or the auth queue
    /// 3/4 of <see cref="AuditOptions.SecurityQueueCapacity"/>) until both have drained to 1/2.
    /// </summary>
    public bool IsBackpressured => _gate.IsClosed;

    /// <summary>The journal mode the writer's connection reported (<c>wal</c>); null until the writer has opened it.</summary>
    internal string? WriterJournalMode { get; private set; }

    /// <summary>Test hook: runs on the writer before each batch is written, so a test can hold the writer back.</summary>
    internal Action? BeforeBatchForTests { get; set; }

    /// <inheritdoc />
    public bool TryWrite(in AuditRecord record)
    {
        var queued = new QueuedAuditRecord { Record = record, IdLength = -1 };
        return Enqueue(queued);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Ids of up to 64 bytes (every id the hub generates) are copied into the queue entry itself: no allocation. Longer or
    /// invalid UTF-8 ids are decoded to a string as <see cref="IAuditSink.TryWriteMessage"/>'s default does.
    /// </remarks>
    public bool TryWriteMessage(
        DateTimeOffset time, ReadOnlySpan<byte> messageIdUtf8, string? messageType, string? from, string? to, int size,
        AuditOutcome outcome, string? reason = null)
    {
        var queued = new QueuedAuditRecord
        {
            Record = AuditRecord.ForMessage(time, null, messageType, from, to, size, outcome, reason),
            IdLength = -1,
        };
        if (messageIdUtf8.Length is > 0 and <= AuditIdBuffer.Size && Utf8.IsValid(messageIdUtf8))
        {
            messageIdUtf8.CopyTo(queued.IdUtf8);
            queued.IdLength = messageIdUtf8.Length;
        }
        else if (!messageIdUtf8.IsEmpty)
        {
            queued.Record = queued.Record with { MessageId = Encoding.UTF8.GetString(messageIdUtf8) };
        }

        return Enqueue(queued);
    }

    /// <inheritdoc />
    public ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => _gate.WaitAsync(cancellationToken);

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

    /// <summary>
    /// Stops accepting records, writes everything still queued, and stops retention. Producers waiting in
    /// <see cref="WaitForCapacityAsync"/> are released.
    /// </summary>
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

        _messages.Writer.TryComplete();
        _security.Writer.TryComplete();
        _gate.ShutDown();
        Volatile.Read(ref _wake).TrySetResult();
        await _writer.ConfigureAwait(false);
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static Channel<QueuedAuditRecord> CreateQueue(int capacity) =>
        Channel.CreateBounded<QueuedAuditRecord>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then returns false instead of waiting: we count the drop.
            AllowSynchronousContinuations = false,
        });

    private bool Enqueue(in QueuedAuditRecord queued)
    {
        bool security = queued.Record.Kind == AuditKind.Auth;
        _gate.Adding(security);
        if ((security ? _security : _messages).Writer.TryWrite(queued))
        {
            return true;
        }

        _gate.Removed(security);
        CountDrop(1, Volatile.Read(ref _disposed) != 0 || _writer.IsCompleted ? "closed" : security ? "security_overflow" : "queue_full");
        return false;
    }

    private bool TryDequeue(out QueuedAuditRecord queued)
    {
        // Auth records first: they are the ones that must never be lost, and they are few.
        if (_security.Reader.TryRead(out queued))
        {
            _gate.Removed(security: true);
            return true;
        }

        if (_messages.Reader.TryRead(out queued))
        {
            _gate.Removed(security: false);
            return true;
        }

        return false;
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
            _messages.Writer.TryComplete();
            _security.Writer.TryComplete();
            int lost = 0;
            while (TryDequeue(out _))
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
            _gate.ShutDown();
            lock (_flushLock)
            {
                _flushWaiters.ForEach(static f => f.TrySetResult());
                _flushWaiters.Clear();
            }
        }
    }

    private async Task WriteUntilCompletedAsync()
    {
        var batch = new List<QueuedAuditRecord>(_options.BatchSize);
        using AuditBatchInsert insert = await AuditBatchInsert.OpenAsync(_store).ConfigureAwait(false);
        WriterJournalMode = insert.JournalMode;
        Task? messagesReadable = null;
        Task? securityReadable = null;
        Task? deadline = null;
        DateTimeOffset batchStarted = default;

        while (true)
        {
            List<TaskCompletionSource>? flushes = TakeFlushWaiters();
            bool completing = Volatile.Read(ref _disposed) != 0 || IsDrained();
            bool drainAll = flushes is not null || completing;
            bool more = false;
            int limit = BatchLimit();

            while (TryDequeue(out QueuedAuditRecord record))
            {
                if (batch.Count == 0)
                {
                    batchStarted = _time.GetUtcNow();
                }

                batch.Add(record);
                if (batch.Count >= limit)
                {
                    _gate.OpenIfDrained();
                    WriteBatch(insert, batch);
                    if (!drainAll)
                    {
                        // Look at flush requests and the clock between batches, then carry on without sleeping.
                        more = true;
                        break;
                    }

                    limit = BatchLimit();
                }
            }

            _gate.OpenIfDrained();
            if (!more && batch.Count > 0 && (drainAll || _time.GetUtcNow() - batchStarted >= _options.FlushInterval))
            {
                WriteBatch(insert, batch);
            }

            ReportDrops(force: completing);
            flushes?.ForEach(static f => f.TrySetResult());
            if (IsDrained() && batch.Count == 0)
            {
                break;
            }

            if (more)
            {
                continue;
            }

            // Sleep until more records arrive, a flush or dispose wakes us, or the partial batch falls due.
            TaskCompletionSource wake = Volatile.Read(ref _wake);
            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, NewSignal(), wake);
                continue;
            }

            if (messagesReadable is null || messagesReadable.IsCompleted)
            {
                messagesReadable = _messages.Reader.WaitToReadAsync().AsTask();
            }

            if (securityReadable is null || securityReadable.IsCompleted)
            {
                securityReadable = _security.Reader.WaitToReadAsync().AsTask();
            }

            if (batch.Count > 0 && (deadline is null || deadline.IsCompleted))
            {
                TimeSpan remaining = batchStarted + _options.FlushInterval - _time.GetUtcNow();
                deadline = Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time);
            }

            await (batch.Count > 0
                ? Task.WhenAny(messagesReadable, securityReadable, wake.Task, deadline!)
                : Task.WhenAny(messagesReadable, securityReadable, wake.Task)).ConfigureAwait(false);
        }
    }

    /// <summary>Both queues are closed and empty: nothing more can arrive.</summary>
    private bool IsDrained() => _messages.Reader.Completion.IsCompleted && _security.Reader.Completion.IsCompleted;

    /// <summary>BatchSize while the queue is shallow; when it is deeper, take what is there (up to MaxBatchSize) in one commit.</summary>
    private int BatchLimit() => Math.Clamp(_gate.Queued, _options.BatchSize, Math.Max(_options.BatchSize, _options.MaxBatchSize));

    private void WriteBatch(AuditBatchInsert insert, List<QueuedAuditRecord> batch)
    {
        try
        {
            BeforeBatchForTests?.Invoke();
            // Synchronous on purpose: Microsoft.Data.Sqlite's async methods run synchronously anyway, and a batch is a
            // few milliseconds of work on this one background task.
            insert.Write(batch);
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
        if (reason == "security_overflow")
        {
            // Rare and serious: an auth decision is missing from the trail. Logged every time (the reserve is large, so
            // reaching this means auth records alone arrive faster than the disk takes them).
            Log.SecurityDropped(_logger, count);
        }

        // Log the first drop of a period at once, then let the writer summarize the rest (a flood must not flood the log).
        if (Interlocked.Add(ref _droppedSinceReport, count) == count)
        {
            Log.Dropping(_logger, reason);
        }
    }

    private void ReportDrops(bool force)
    {
        if (Interlocked.Read(ref _droppedSinceReport) == 0
            || (!force && _time.GetElapsedTime(_lastDropReport) < DropReportInterval))
        {
            return;
        }

        _lastDropReport = _time.GetTimestamp();
        long dropped = Interlocked.Exchange(ref _droppedSinceReport, 0);
        if (dropped > 1)
        {
            Log.Dropped(_logger, dropped, DroppedCount);
        }
    }

    private static string? StringOrNull(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

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

        [LoggerMessage(207, LogLevel.Error, "{Count} auth audit records were dropped: the security reserve (SecurityQueueCapacity) is full")]
        public static partial void SecurityDropped(ILogger logger, int count);

        [LoggerMessage(205, LogLevel.Error, "Audit retention failed")]
        public static partial void RetentionFailed(ILogger logger, Exception exception);
    }
}
