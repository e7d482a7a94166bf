using System.Diagnostics;
using Meowstik.LoadTest.Reporting;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>
/// <paramref name="count"/> long-lived clients online; the server is killed (SIGKILL) and started again on the same port with
/// the same state; figure: seconds from the kill until every client is online again. Hub: <see cref="Meowstik.Agent.MeshAgent"/>s;
/// NATS: NATS.Net's built-in reconnect; MQTT: n/a (MQTTnet 5 has no built-in reconnect: the managed client was removed).
/// </summary>
internal sealed class ReconnectScenario(int count, bool tuned) : IScenario
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public string Name => $"reconnect {count:N0} after restart";

    private string Metric => tuned ? "all online again (s), tuned backoff" : "all online again (s), client defaults";

    public async Task<IReadOnlyList<Measurement>> RunAsync(IMessagingSystem system, CancellationToken cancellationToken)
    {
        IReconnectingFleet? fleet = system switch
        {
            HubSystem hub => tuned ? AgentFleet.WithTunedBackoff(hub, count) : AgentFleet.WithDefaultBackoff(hub, count),
            NatsSystem nats => tuned ? await NatsFleet.WithTunedBackoffAsync(nats, count, cancellationToken).ConfigureAwait(false)
                                     : await NatsFleet.WithDefaultBackoffAsync(nats, count, cancellationToken).ConfigureAwait(false),
            _ => null,
        };
        if (fleet is null) return [new(Name, Metric, system.Name, null, "MQTTnet 5 has no built-in reconnect (its managed client was removed); not measured")];

        await using (fleet.ConfigureAwait(false))
        {
            var clock = Stopwatch.StartNew();
            if (!await UntilAsync(() => fleet.OnlineCount() == count, cancellationToken).ConfigureAwait(false))
            {
                return [new(Name, Metric, system.Name, null, $"only {fleet.OnlineCount()} of {count} came online within {Timeout.TotalSeconds:0} s before the restart")];
            }
            double firstConnect = clock.Elapsed.TotalSeconds;

            fleet.ArmRestart();
            clock.Restart();
            await system.RestartServerAsync(cancellationToken).ConfigureAwait(false);
            double serverBack = clock.Elapsed.TotalSeconds;
            bool all = await UntilAsync(() => fleet.ReconnectedCount() == count, cancellationToken).ConfigureAwait(false);
            double seconds = clock.Elapsed.TotalSeconds;
            string note = $"{fleet.Policy}; server accepting again {serverBack:0.0} s after the kill; first connect of all took {firstConnect:0.0} s";
            return all
                ? [new(Name, Metric, system.Name, seconds, note)]
                : [new(Name, Metric, system.Name, null, $"only {fleet.ReconnectedCount()} of {count} back after {seconds:0} s; {note}")];
        }
    }

    private static async Task<bool> UntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Timeout) return false;
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }
}
