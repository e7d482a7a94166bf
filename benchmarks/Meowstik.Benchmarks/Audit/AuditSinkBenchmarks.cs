using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.Data.Sqlite;

namespace Meowstik.Benchmarks.Audit;

/// <summary>
/// The SQLite audit writer end to end: post <see cref="Records"/> delivered-message records through
/// <see cref="IAuditSink.TryWrite(in AuditRecord)"/>, then <see cref="IAuditSink.FlushAsync"/> until every row is stored in a
/// temp database file. One op = one stored row, so Mean is time per row (rows/s = 1 / Mean) and Allocated is bytes per
/// row for the producer and the background writer together.
/// <code>dotnet run -c Release --project benchmarks/Meowstik.Benchmarks -- --filter '*AuditSink*'</code>
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 8, invocationCount: 1)]
public class AuditSinkBenchmarks
{
    private const int Records = 50_000;

    private readonly AuditWorkload _workload = new(Records);
    private string _directory = null!;
    private SqliteMeshStore _store = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "meowstik-bench-audit", Guid.NewGuid().ToString("N"));
        _store = await SqliteMeshStore.OpenAsync(Path.Combine(_directory, "audit.db"));
    }

    [IterationSetup]
    public void EmptyTable()
    {
        using var connection = new SqliteConnection(_store.ConnectionString);
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM audit; PRAGMA wal_checkpoint(TRUNCATE);";
        command.ExecuteNonQuery();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Records built as the router builds them today (id string per message); the queue holds them all.</summary>
    [Benchmark(OperationsPerInvoke = Records, Baseline = true)]
    public async Task StringRecords()
    {
        await using var sink = new SqliteAuditSink(_store, new AuditOptions { QueueCapacity = Records });
        for (int i = 0; i < Records; i++)
        {
            _workload.PostAsString(sink, i);
        }

        await sink.FlushAsync();
        Check(sink);
    }

    /// <summary>The same records posted through TryWriteMessage (UTF-8 ids copied into the queue, no string per message).</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public async Task Utf8Records()
    {
        await using var sink = new SqliteAuditSink(_store, new AuditOptions { QueueCapacity = Records });
        for (int i = 0; i < Records; i++)
        {
            _workload.PostAsUtf8(sink, i);
        }

        await sink.FlushAsync();
        Check(sink);
    }

    /// <summary>Default options (16,384 queue): the producer honours IsBackpressured / WaitForCapacityAsync, as receive loops will.</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public async Task Utf8RecordsWithBackpressure()
    {
        await using var sink = new SqliteAuditSink(_store);
        await _workload.PostWithBackpressureAsync(sink);
        await sink.FlushAsync();
        Check(sink);
    }

    private static void Check(SqliteAuditSink sink)
    {
        if (sink.WrittenCount != Records || sink.DroppedCount != 0)
        {
            throw new InvalidOperationException($"Stored {sink.WrittenCount}, dropped {sink.DroppedCount} of {Records}.");
        }
    }
}
