using System.Diagnostics;
using Meowstik.LoadTest.Measuring;
using Meowstik.LoadTest.Messages;
using Meowstik.LoadTest.Reporting;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>
/// Opens <paramref name="wanted"/> idle clients (hub: registered devices; brokers: connections subscribed to their own
/// subject/topic) and reports the server's resident memory per connection: (VmRSS with them − VmRSS before) ÷ connections.
/// The count is lowered when the open-files limit cannot hold it, and the table says so.
/// </summary>
internal sealed class IdleConnectionsScenario(int wanted, TimeSpan hold) : IScenario
{
    /// <summary>File descriptors kept free for everything else (assemblies, logs, the servers' own files).</summary>
    private const int ReservedDescriptors = 512;

    private const int ParallelHandshakes = 32;

    public string Name => "idle connections";

    public async Task<IReadOnlyList<Measurement>> RunAsync(IMessagingSystem system, CancellationToken cancellationToken)
    {
        system.Health.Reset();
        long limit = FileDescriptorLimit.Soft();
        int count = (int)Math.Min(wanted, Math.Max(0, limit - ReservedDescriptors));
        string limitNote = count < wanted ? $"lowered from {wanted:N0}: open-files limit is {limit:N0} (raise it with ulimit -n)" : "";

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        long before = system.Server.ResidentBytes();
        var connecting = Stopwatch.StartNew();
        (List<IMessagingClient> clients, int failures, string? firstError) = await ScenarioClients.ConnectManyAsync(
            count, (i, ct) => system.ConnectAsync(DeviceNames.Idle(i), receivesBroadcast: false, IgnoreAsync, ct), ParallelHandshakes, cancellationToken).ConfigureAwait(false);
        double connectSeconds = connecting.Elapsed.TotalSeconds;
        try
        {
            await Task.Delay(hold, cancellationToken).ConfigureAwait(false);
            long after = system.Server.ResidentBytes();
            int held = clients.Count - system.Health.Total;
            string failureNote = failures > 0 ? $"{failures:N0} of {count:N0} failed to connect (first: {firstError})" : "";
            string who = system.Name;
            return
            [
                new(Name, "connections held", who, held, string.Join("; ", new[] { limitNote, failureNote }.Where(n => n.Length > 0))),
                new(Name, "server RSS per connection (KiB)", who, held > 0 ? (after - before) / 1024.0 / held : null, $"RSS {before / 1048576.0:0} MiB → {after / 1048576.0:0} MiB"),
                new(Name, "connect (+register) rate (conn/s)", who, clients.Count / connectSeconds),
                new(Name, "connections closed by server", who, system.Health.Total, system.Health.Describe()),
            ];
        }
        finally
        {
            await ScenarioClients.DisposeAllAsync(clients).ConfigureAwait(false);
        }
    }

    private static ValueTask IgnoreAsync(IMessagingClient receiver, ReadOnlyMemory<byte> message) => ValueTask.CompletedTask;
}
