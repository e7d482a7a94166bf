using System.Diagnostics;
using Meowstik.Hub.Audit;
using Meowstik.Hub.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Meowstik.Benchmarks.Audit;

/// <summary>
/// A quick wall-clock run of the audit writer outside BenchmarkDotNet: rows/s and bytes allocated per row (whole process)
/// for a few rounds of <c>count</c> records into a fresh temp database.
/// <code>dotnet run -c Release --project benchmarks/Meowstik.Benchmarks -- audit-stopwatch [count] [rounds]</code>
/// </summary>
internal static class AuditStopwatch
{
    public static async Task RunAsync(int count, int rounds)
    {
        string directory = Path.Combine(Path.GetTempPath(), "meowstik-bench-audit", Guid.NewGuid().ToString("N"));
        var workload = new AuditWorkload(count);
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                await using SqliteMeshStore store = await SqliteMeshStore.OpenAsync(Path.Combine(directory, $"audit-{round}.db"));
                await MeasureAsync("string records", store, count, sink =>
                {
                    for (int i = 0; i < count; i++)
                    {
                        workload.PostAsString(sink, i);
                    }
                });
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task MeasureAsync(string name, SqliteMeshStore store, int count, Action<SqliteAuditSink> post)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        await using (var sink = new SqliteAuditSink(store, new AuditOptions { QueueCapacity = count }))
        {
            post(sink);
            await sink.FlushAsync();
            stopwatch.Stop();
            Console.WriteLine(
                $"{name,-16} {count:N0} rows in {stopwatch.Elapsed.TotalMilliseconds,8:F0} ms = {count / stopwatch.Elapsed.TotalSeconds,10:N0} rows/s, " +
                $"{(GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)count,6:F0} B/row, stored {sink.WrittenCount:N0}, dropped {sink.DroppedCount:N0}");
        }
    }
}
