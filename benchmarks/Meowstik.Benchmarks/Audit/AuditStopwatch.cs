using System.Diagnostics;
using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.Data.Sqlite;

namespace Meowstik.Benchmarks.Audit;

/// <summary>
/// A quick wall-clock run of the audit writer outside BenchmarkDotNet: rows/s, process CPU time per row and bytes allocated
/// per row (whole process)
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
                await MeasureAsync("string records", store, new AuditOptions { QueueCapacity = count }, count, sink =>
                {
                    for (int i = 0; i < count; i++)
                    {
                        workload.PostAsString(sink, i);
                    }

                    return Task.CompletedTask;
                });
                await MeasureAsync("utf8 records", store, new AuditOptions { QueueCapacity = count }, count, sink =>
                {
                    for (int i = 0; i < count; i++)
                    {
                        workload.PostAsUtf8(sink, i);
                    }

                    return Task.CompletedTask;
                });
                await MeasureAsync("utf8+backpressure", store, new AuditOptions(), count, workload.PostWithBackpressureAsync);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task MeasureAsync(string name, SqliteMeshStore store, AuditOptions options, int count, Func<SqliteAuditSink, Task> post)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        // CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours.
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        await using (var sink = new SqliteAuditSink(store, options))
        {
            await post(sink);
            await sink.FlushAsync();
            stopwatch.Stop();
            double cpuMicros = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / count;
            Console.WriteLine(
                $"{name,-18} {count:N0} rows in {stopwatch.Elapsed.TotalMilliseconds,8:F0} ms = {count / stopwatch.Elapsed.TotalSeconds,10:N0} rows/s, " +
                $"{cpuMicros,5:F2} CPU-us/row, " +
                $"{(GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)count,6:F0} B/row, stored {sink.WrittenCount:N0}, dropped {sink.DroppedCount:N0}");
        }
    }
}
