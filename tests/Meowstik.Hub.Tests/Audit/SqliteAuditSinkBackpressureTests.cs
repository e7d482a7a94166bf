using System.Diagnostics.Metrics;
using System.Text;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Auth;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Audit;

/// <summary>Throughput, backpressure and the never-dropped security lane of <see cref="SqliteAuditSink"/>, on real files.</summary>
/// <remarks>Same collection as <see cref="SqliteAuditSinkTests"/>: both listen to the process-wide <c>audit.dropped</c> meter.</remarks>
[Collection(nameof(SqliteAuditSink))]
public sealed class SqliteAuditSinkBackpressureTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 19, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDatabase _db = new();
    private readonly FakeTimeProvider _time = new(T0);

    public void Dispose() => _db.Dispose();

    private static AuditRecord Message(int n) => AuditRecord.ForMessage(T0.AddMilliseconds(n), $"msg_{n}", "event", "sender", "receiver", 10, AuditOutcome.Delivered);

    private static AuditRecord Auth(int n) => AuditRecord.ForAuth(T0.AddMilliseconds(n), "authenticate", "10.0.0.1", $"tok_{n}", AuditOutcome.Denied, "token_unknown");

    /// <summary>Options with a flush interval that never fires on the fake clock: only full batches, flushes and dispose write.</summary>
    private static AuditOptions Held(int capacity, int batch, int securityCapacity = 65_536) => new()
    {
        QueueCapacity = capacity, SecurityQueueCapacity = securityCapacity, BatchSize = batch, MaxBatchSize = batch, FlushInterval = TimeSpan.FromHours(1),
    };

    private async Task<long> CountRowsAsync(SqliteMeshStore store, string where = "1 = 1")
    {
        await using SqliteConnection connection = await store.OpenConnectionAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM audit WHERE " + where + ";";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_producer_honouring_backpressure_stores_100000_records_and_drops_none()
    {
        const int records = 100_000;
        await using SqliteMeshStore store = await _db.OpenAsync();
        // A small queue so the producer (far faster than the disk) really has to wait, many times.
        await using var sink = new SqliteAuditSink(store, new AuditOptions { QueueCapacity = 1024 });
        byte[] id = "msg_01JH0000000000XK7Q2M"u8.ToArray();
        int refused = 0, waits = 0;
        for (int i = 0; i < records; i++)
        {
            refused += sink.TryWriteMessage(T0.AddTicks(i), id, "event", "sender", "receiver", i, AuditOutcome.Delivered) ? 0 : 1;
            if (sink.IsBackpressured)
            {
                waits++;
                await sink.WaitForCapacityAsync(CancellationToken.None);
            }
        }

        await sink.FlushAsync();
        Assert.Equal(0, refused);
        Assert.Equal(0, sink.DroppedCount);
        Assert.Equal(records, sink.WrittenCount);
        Assert.Equal(records, await CountRowsAsync(store));
        Assert.Equal(records, await CountRowsAsync(store, "message_id = 'msg_01JH0000000000XK7Q2M' AND from_id = 'sender'"));
        Assert.True(waits > 0, "The producer never saw backpressure, so this test proved nothing about it.");
    }

    [Fact]
    public async Task Backpressure_turns_on_at_three_quarters_and_WaitForCapacity_completes_once_the_writer_drains_to_half()
    {
        const int capacity = 16, batch = 4;
        await using SqliteMeshStore store = await _db.OpenAsync();
        await using var sink = new SqliteAuditSink(store, Held(capacity, batch), _time);
        using var writer = new HeldWriter(sink);

        Assert.False(sink.IsBackpressured);
        Assert.True(sink.WaitForCapacityAsync(CancellationToken.None).IsCompletedSuccessfully);

        for (int i = 0; i < batch; i++)
        {
            Assert.True(sink.TryWrite(Message(i)));
        }

        writer.WaitUntilHeld(); // the writer holds those 4; the queue is empty again

        for (int i = 0; i < 11; i++)
        {
            Assert.True(sink.TryWrite(Message(100 + i)));
        }

        Assert.False(sink.IsBackpressured); // 11 queued < 12 = 3/4 of 16
        Assert.True(sink.TryWrite(Message(111)));
        Assert.True(sink.IsBackpressured); // 12 queued

        ValueTask wait = sink.WaitForCapacityAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);

        using (var cancel = new CancellationTokenSource())
        {
            ValueTask cancelled = sink.WaitForCapacityAsync(cancel.Token);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.True(sink.TryWrite(Message(112 + i)));
        }

        Assert.False(sink.TryWrite(Message(999))); // 16 queued: full
        Assert.Equal(1, sink.DroppedCount);
        Assert.False(wait.IsCompleted);

        writer.Release();
        await wait.AsTask().WaitAsync(Patience);
        Assert.False(sink.IsBackpressured);
        await sink.FlushAsync();
        Assert.Equal(batch + capacity, await CountRowsAsync(store));
        Assert.True(sink.WaitForCapacityAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForCapacity_completes_when_the_sink_is_disposed_while_backpressured()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        var sink = new SqliteAuditSink(store, Held(capacity: 8, batch: 2), _time);
        using var writer = new HeldWriter(sink);
        sink.TryWrite(Message(0));
        sink.TryWrite(Message(1));
        writer.WaitUntilHeld();
        for (int i = 2; i < 10; i++)
        {
            sink.TryWrite(Message(i));
        }

        Assert.True(sink.IsBackpressured);
        Task wait = sink.WaitForCapacityAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);

        // Dispose waits for the (held) writer, but must release producers first.
        ValueTask dispose = sink.DisposeAsync();
        await wait.WaitAsync(Patience);
        Assert.False(sink.IsBackpressured);
        Assert.True(sink.WaitForCapacityAsync(CancellationToken.None).IsCompletedSuccessfully);

        writer.Release();
        await dispose;
        Assert.Equal(10, await CountRowsAsync(store));
    }

    [Fact]
    public async Task Checking_for_backpressure_when_there_is_none_allocates_nothing()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        await using var sink = new SqliteAuditSink(store, timeProvider: _time);
        using var cancel = new CancellationTokenSource();
        IAuditSink audit = sink;
        _ = audit.WaitForCapacityAsync(cancel.Token); // JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        int completed = 0;
        for (int i = 0; i < 1000; i++)
        {
            completed += !audit.IsBackpressured && audit.WaitForCapacityAsync(cancel.Token).IsCompletedSuccessfully ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, completed);
    }

    [Fact]
    public async Task Auth_records_are_not_dropped_when_the_message_queue_is_full()
    {
        const int capacity = 8, auths = 2_000;
        await using SqliteMeshStore store = await _db.OpenAsync();
        var reasons = new Dictionary<string, long>();
        using MeterListener listener = ListenForDrops(reasons);
        await using var sink = new SqliteAuditSink(store, Held(capacity, batch: 2), _time);
        using var writer = new HeldWriter(sink);
        sink.TryWrite(Message(0));
        sink.TryWrite(Message(1));
        writer.WaitUntilHeld();

        int messagesAccepted = 0;
        for (int i = 2; i < 100; i++)
        {
            messagesAccepted += sink.TryWrite(Message(i)) ? 1 : 0;
        }

        Assert.Equal(capacity, messagesAccepted);
        for (int i = 0; i < auths; i++)
        {
            Assert.True(sink.TryWrite(Auth(i)), $"auth record {i} was refused");
        }

        Assert.True(sink.TryWrite(Auth(auths))); // and interleaved with more message drops
        Assert.False(sink.TryWrite(Message(100)));

        writer.Release();
        await sink.FlushAsync();
        Assert.Equal(auths + 1, await CountRowsAsync(store, $"kind = {(int)AuditKind.Auth}"));
        Assert.Equal(2 + capacity, await CountRowsAsync(store, $"kind = {(int)AuditKind.Message}"));
        Assert.Equal(98 - capacity + 1, sink.DroppedCount);
        lock (reasons)
        {
            Assert.Equal(new Dictionary<string, long> { ["queue_full"] = 98 - capacity + 1 }, reasons);
        }
    }

    [Fact]
    public async Task Auth_records_beyond_the_security_reserve_are_dropped_and_counted_as_security_overflow()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        var reasons = new Dictionary<string, long>();
        using MeterListener listener = ListenForDrops(reasons);
        await using var sink = new SqliteAuditSink(store, Held(capacity: 8, batch: 2, securityCapacity: 4), _time);
        using var writer = new HeldWriter(sink);
        sink.TryWrite(Message(0));
        sink.TryWrite(Message(1));
        writer.WaitUntilHeld();

        int accepted = 0;
        for (int i = 0; i < 10; i++)
        {
            accepted += sink.TryWrite(Auth(i)) ? 1 : 0;
        }

        Assert.Equal(4, accepted);
        Assert.True(sink.IsBackpressured); // the security lane is past 3/4 of its reserve
        Assert.Equal(6, sink.DroppedCount);
        lock (reasons)
        {
            Assert.Equal(new Dictionary<string, long> { ["security_overflow"] = 6 }, reasons);
        }

        writer.Release();
        await sink.FlushAsync();
        Assert.Equal(4, await CountRowsAsync(store, $"kind = {(int)AuditKind.Auth}"));
    }

    [Fact]
    public async Task A_deep_queue_is_written_in_bigger_batches()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        var options = new AuditOptions { QueueCapacity = 2_000, BatchSize = 10, MaxBatchSize = 1_000, FlushInterval = TimeSpan.FromHours(1) };
        await using var sink = new SqliteAuditSink(store, options, _time);
        using var writer = new HeldWriter(sink);
        for (int i = 0; i < 10; i++)
        {
            sink.TryWrite(Message(i));
        }

        writer.WaitUntilHeld();
        for (int i = 10; i < 1_010; i++)
        {
            Assert.True(sink.TryWrite(Message(i)));
        }

        writer.Release();
        await sink.FlushAsync();
        Assert.Equal(1_010, await CountRowsAsync(store));
        // At BatchSize alone this would be 101 transactions.
        Assert.InRange(writer.Batches, 2, 5);
    }

    [Fact]
    public async Task The_writer_connection_is_in_WAL_mode()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        await using var sink = new SqliteAuditSink(store, timeProvider: _time);
        sink.TryWrite(Message(1));
        await sink.FlushAsync();

        Assert.Equal("wal", sink.WriterJournalMode);
        await using SqliteConnection connection = await store.OpenConnectionAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        Assert.True(File.Exists(_db.FilePath + "-wal"));
    }

    [Fact]
    public async Task TryWriteMessage_stores_inline_long_empty_and_invalid_utf8_ids()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        await using var sink = new SqliteAuditSink(store, timeProvider: _time);
        string longId = new('x', 200);
        Assert.True(sink.TryWriteMessage(T0, "msg_01JH0000000000XK7Q2M"u8, "command", "desktop-001", "alexa-001", 230, AuditOutcome.Delivered));
        Assert.True(sink.TryWriteMessage(T0.AddSeconds(1), Encoding.UTF8.GetBytes(longId), "event", "a", "b", 1, AuditOutcome.Delivered));
        Assert.True(sink.TryWriteMessage(T0.AddSeconds(2), default, "heartbeat", "a", "", 2, AuditOutcome.Rejected, "not_granted"));
        Assert.True(sink.TryWriteMessage(T0.AddSeconds(3), [0x6d, 0xff, 0x6e], "event", "a", "b", 3, AuditOutcome.Delivered));
        Assert.True(sink.TryWriteMessage(T0.AddSeconds(4), "m-é-✓"u8, "event", "a", "b", 4, AuditOutcome.Delivered));
        await sink.FlushAsync();

        IReadOnlyList<AuditRecord> rows = await sink.QueryAsync(new AuditQuery());
        Assert.Equal(
            AuditRecord.ForMessage(T0, "msg_01JH0000000000XK7Q2M", "command", "desktop-001", "alexa-001", 230, AuditOutcome.Delivered),
            rows[0]);
        Assert.Equal(longId, rows[1].MessageId);
        Assert.Null(rows[2].MessageId);
        Assert.Equal("", rows[2].To); // an empty string stays empty, not NULL
        Assert.Equal("not_granted", rows[2].Reason);
        Assert.Equal("m\uFFFDn", rows[3].MessageId);
        Assert.Equal("m-é-✓", rows[4].MessageId);
    }

    [Fact]
    public async Task TryWriteMessage_allocates_nothing_in_steady_state()
    {
        const int capacity = 1024, warmUp = 4 * capacity, measured = 1000;
        await using SqliteMeshStore store = await _db.OpenAsync();
        await using var sink = new SqliteAuditSink(
            store, new AuditOptions { QueueCapacity = capacity, BatchSize = 100_000, MaxBatchSize = 100_000, FlushInterval = TimeSpan.FromHours(1) }, _time);
        byte[] id = "msg_01JH0000000000XK7Q2M"u8.ToArray();
        for (int i = 0; i < warmUp; i++)
        {
            sink.TryWriteMessage(T0, id, "event", "desktop-001", "alexa-001", 1, AuditOutcome.Delivered);
        }

        // The smallest of three windows: a one-time growth of the queue's buffer (when the writer drained part of the warm-up
        // on a loaded machine) lands in one window; a real per-call allocation would show in every one.
        long smallest = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < measured; i++)
            {
                sink.TryWriteMessage(T0, id, "event", "desktop-001", "alexa-001", 1, AuditOutcome.Delivered);
            }
            smallest = Math.Min(smallest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, smallest);
        await sink.FlushAsync();
        Assert.Equal(warmUp + 3 * measured, sink.WrittenCount + sink.DroppedCount);
    }

    private static MeterListener ListenForDrops(Dictionary<string, long> reasons)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SqliteAuditSink.MeterName && instrument.Name == "audit.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string reason = "";
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "reason")
                {
                    reason = (string)tag.Value!;
                }
            }

            lock (reasons)
            {
                reasons[reason] = reasons.GetValueOrDefault(reason) + value;
            }
        });
        listener.Start();
        return listener;
    }
}
