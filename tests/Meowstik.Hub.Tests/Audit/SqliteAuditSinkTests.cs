using System.Diagnostics.Metrics;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Auth;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Audit;

[Collection(nameof(SqliteAuditSink))]
public sealed class SqliteAuditSinkTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 19, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _db = new();
    private readonly FakeTimeProvider _time = new(T0);

    public void Dispose() => _db.Dispose();

    private static AuditRecord Message(DateTimeOffset time, string from, string to, int n, AuditOutcome outcome = AuditOutcome.Delivered) =>
        AuditRecord.ForMessage(time, $"msg_{n}", "command", from, to, 100 + n, outcome, outcome == AuditOutcome.Rejected ? "not_granted" : null);

    [Fact]
    public async Task Records_are_written_in_batches_and_queryable_by_device_and_time_range()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        await using var sink = new SqliteAuditSink(store, new AuditOptions { BatchSize = 7 }, _time);

        for (int i = 0; i < 50; i++)
        {
            string from = i % 2 == 0 ? "desktop-001" : "phone-001";
            Assert.True(sink.TryWrite(Message(T0.AddSeconds(i), from, "alexa-001", i, i % 5 == 0 ? AuditOutcome.Rejected : AuditOutcome.Delivered)));
        }

        sink.TryWrite(AuditRecord.ForAuth(T0.AddSeconds(60), "authenticate", "10.0.0.1", "tok_abc", AuditOutcome.Denied, "token_unknown"));
        await sink.FlushAsync();
        Assert.Equal(51, sink.WrittenCount);

        IReadOnlyList<AuditRecord> desktop = await sink.QueryAsync(new AuditQuery { DeviceId = "desktop-001" });
        Assert.Equal(25, desktop.Count);
        Assert.All(desktop, r => Assert.Equal("desktop-001", r.From));
        Assert.Equal(desktop.OrderBy(r => r.Time), desktop);

        IReadOnlyList<AuditRecord> toAlexa = await sink.QueryAsync(new AuditQuery { DeviceId = "alexa-001" });
        Assert.Equal(50, toAlexa.Count);

        IReadOnlyList<AuditRecord> window = await sink.QueryAsync(
            new AuditQuery { DeviceId = "phone-001", Since = T0.AddSeconds(10), Until = T0.AddSeconds(20) });
        Assert.Equal([11, 13, 15, 17, 19], window.Select(r => (int)(r.Time - T0).TotalSeconds));

        AuditRecord first = (await sink.QueryAsync(new AuditQuery { Limit = 1 }))[0];
        Assert.Equal(Message(T0, "desktop-001", "alexa-001", 0, AuditOutcome.Rejected), first);

        IReadOnlyList<AuditRecord> newest = await sink.QueryAsync(new AuditQuery { NewestFirst = true, Limit = 2 });
        Assert.Equal(AuditKind.Auth, newest[0].Kind);
        Assert.Equal("token_unknown", newest[0].Reason);
        Assert.Equal(T0.AddSeconds(49), newest[1].Time);

        Assert.Equal(10, (await sink.QueryAsync(new AuditQuery { Outcome = AuditOutcome.Rejected })).Count);
        Assert.Single(await sink.QueryAsync(new AuditQuery { Kind = AuditKind.Auth }));
    }

    [Fact]
    public async Task A_partial_batch_is_written_after_the_flush_interval_without_a_flush_call()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        await using var sink = new SqliteAuditSink(store, new AuditOptions { BatchSize = 1000, FlushInterval = TimeSpan.FromMilliseconds(50) });
        sink.TryWrite(Message(T0, "a", "b", 1));

        // Poll (no wall-clock assertion): the background writer must get there on its own.
        for (int i = 0; i < 200 && sink.WrittenCount == 0; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(1, sink.WrittenCount);
        Assert.Single(await sink.QueryAsync(new AuditQuery()));
    }

    [Fact]
    public async Task Records_survive_dispose_and_reopen()
    {
        await using (SqliteMeshStore store = await _db.OpenAsync())
        {
            await using var sink = new SqliteAuditSink(store, new AuditOptions { BatchSize = 1000, FlushInterval = TimeSpan.FromHours(1) }, _time);
            for (int i = 0; i < 10; i++)
            {
                sink.TryWrite(Message(T0.AddSeconds(i), "desktop-001", "hub", i));
            }

            // No flush: dispose must write what is queued.
        }

        await using (SqliteMeshStore reopened = await _db.OpenAsync())
        {
            await using var sink = new SqliteAuditSink(reopened, timeProvider: _time);
            IReadOnlyList<AuditRecord> rows = await sink.QueryAsync(new AuditQuery { DeviceId = "desktop-001" });
            Assert.Equal(10, rows.Count);
            Assert.Equal("msg_9", rows[^1].MessageId);
            Assert.Equal(109, rows[^1].Size);
        }
    }

    [Fact]
    public async Task Retention_deletes_rows_older_than_the_limit_periodically()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        var options = new AuditOptions { Retention = TimeSpan.FromDays(30), RetentionInterval = TimeSpan.FromHours(1) };
        await using var sink = new SqliteAuditSink(store, options, _time);
        sink.TryWrite(Message(T0.AddDays(-40), "old", "x", 1));
        sink.TryWrite(Message(T0.AddDays(-31), "old", "x", 2));
        sink.TryWrite(Message(T0.AddDays(-29), "recent", "x", 3));
        sink.TryWrite(Message(T0, "recent", "x", 4));
        await sink.FlushAsync();

        _time.Advance(TimeSpan.FromHours(1)); // fires the retention timer
        for (int i = 0; i < 200 && (await sink.QueryAsync(new AuditQuery { DeviceId = "old" })).Count > 0; i++)
        {
            await Task.Delay(25);
        }

        Assert.Empty(await sink.QueryAsync(new AuditQuery { DeviceId = "old" }));
        Assert.Equal(2, (await sink.QueryAsync(new AuditQuery { DeviceId = "recent" })).Count);

        // 30 more days: the row from day -29 is now 30 days and 1 hour old.
        _time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromHours(1));
        await sink.ApplyRetentionAsync();
        Assert.Single(await sink.QueryAsync(new AuditQuery()));
        Assert.Equal(T0, (await sink.QueryAsync(new AuditQuery()))[0].Time);
    }

    [Fact]
    public async Task Overflow_is_dropped_and_counted_without_blocking_while_the_database_is_locked()
    {
        const int capacity = 8, batch = 4, posted = 100;
        await using SqliteMeshStore store = await _db.OpenAsync();
        long meterDrops = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SqliteAuditSink.MeterName && instrument.Name == "audit.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref meterDrops, value));
        listener.Start();

        // Another connection holds the write lock, so the writer is stuck on its first batch.
        await using SqliteConnection blocker = await store.OpenConnectionAsync();
        await using var tx = (SqliteTransaction)await blocker.BeginTransactionAsync();
        await using (SqliteCommand touch = blocker.CreateCommand())
        {
            touch.Transaction = tx;
            touch.CommandText = "DELETE FROM audit;";
            await touch.ExecuteNonQueryAsync();
        }

        await using var sink = new SqliteAuditSink(store, new AuditOptions { QueueCapacity = capacity, BatchSize = batch, MaxBatchSize = batch }, _time);
        int accepted = 0;
        for (int i = 0; i < posted; i++)
        {
            accepted += sink.TryWrite(Message(T0.AddMilliseconds(i), "flood", "hub", i)) ? 1 : 0;
        }

        // At most one batch left the queue before the writer stalled.
        Assert.InRange(accepted, capacity, capacity + batch);
        Assert.Equal(posted - accepted, sink.DroppedCount);
        Assert.Equal(posted - accepted, Interlocked.Read(ref meterDrops));

        await tx.RollbackAsync();
        await sink.FlushAsync();
        Assert.Equal(accepted, (await sink.QueryAsync(new AuditQuery { DeviceId = "flood" })).Count);
        Assert.Equal(accepted, sink.WrittenCount);
    }

    [Fact]
    public async Task Writes_after_dispose_are_dropped_and_counted()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        var sink = new SqliteAuditSink(store, timeProvider: _time);
        await sink.DisposeAsync();
        Assert.False(sink.TryWrite(Message(T0, "a", "b", 1)));
        Assert.Equal(1, sink.DroppedCount);
        await sink.FlushAsync(); // returns at once
    }

    [Fact]
    public async Task Posting_a_record_allocates_nothing_in_steady_state()
    {
        // The channel's ring buffer grows up to QueueCapacity during warm-up; after that, posting is allocation-free.
        const int capacity = 1024, warmUp = 4 * capacity, measured = 1000;
        await using SqliteMeshStore store = await _db.OpenAsync();
        await using var sink = new SqliteAuditSink(
            store, new AuditOptions { QueueCapacity = capacity, BatchSize = 100_000, FlushInterval = TimeSpan.FromHours(1) }, _time);
        AuditRecord record = Message(T0, "desktop-001", "alexa-001", 1);
        for (int i = 0; i < warmUp; i++)
        {
            sink.TryWrite(record);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < measured; i++)
        {
            sink.TryWrite(record);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        await sink.FlushAsync();
        Assert.Equal(warmUp + measured, sink.WrittenCount + sink.DroppedCount);
    }
}
