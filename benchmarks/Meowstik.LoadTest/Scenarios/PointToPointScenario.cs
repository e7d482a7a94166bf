using System.Diagnostics;
using Meowstik.LoadTest.Measuring;
using Meowstik.LoadTest.Reporting;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>
/// <paramref name="pairs"/> sender→receiver pairs; each sender keeps <paramref name="window"/> commands in flight and each
/// receiver answers every command (hub: a <c>response</c> with <c>correlation_id</c>; brokers: a message of the same size on
/// the sender's subject/topic). Figures: round trips per second (each is two ~330 B messages through the server), round-trip
/// latency, commands never answered, connections the server closed. With one pair and a window of 1 this is ping-pong.
/// </summary>
internal sealed class PointToPointScenario(string name, int pairs, int window, TimeSpan warmup, TimeSpan duration) : IScenario
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(3);

    public string Name => name;

    public async Task<IReadOnlyList<Measurement>> RunAsync(IMessagingSystem system, CancellationToken cancellationToken)
    {
        system.Health.Reset();
        var phase = new MeasurementPhase();
        var receivers = Enumerable.Range(0, pairs).Select(i => new EchoReceiver(i)).ToArray();
        var receiverClients = new List<IMessagingClient>();
        var senders = new List<PairSender>();
        try
        {
            foreach (EchoReceiver receiver in receivers)
            {
                receiverClients.Add(await system.ConnectAsync(receiver.Id, receivesBroadcast: false, receiver.OnMessageAsync, cancellationToken).ConfigureAwait(false));
            }
            for (int i = 0; i < pairs; i++) senders.Add(await PairSender.ConnectAsync(system, i, window, phase, cancellationToken).ConfigureAwait(false));

            using var stop = new CancellationTokenSource(warmup + duration);
            Task[] loops = senders.Select(s => Task.Run(() => s.SendLoopAsync(stop.Token), CancellationToken.None)).ToArray();
            await Task.Delay(warmup, cancellationToken).ConfigureAwait(false);
            phase.Start();
            var measured = Stopwatch.StartNew();
            TimeSpan cpuBefore = system.Server.CpuTime();
            await Task.Delay(duration, cancellationToken).ConfigureAwait(false);
            phase.Stop();
            double seconds = measured.Elapsed.TotalSeconds;
            double serverCores = (system.Server.CpuTime() - cpuBefore).TotalSeconds / seconds;
            await Task.WhenAll(loops).ConfigureAwait(false);
            await DrainAsync(senders).ConfigureAwait(false);
            return Figures(system, senders, receivers, seconds, serverCores);
        }
        finally
        {
            await ScenarioClients.DisposeAllAsync(senders.Select(s => s.Client)).ConfigureAwait(false);
            await ScenarioClients.DisposeAllAsync(receiverClients).ConfigureAwait(false);
        }
    }

    private static async Task DrainAsync(List<PairSender> senders)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < DrainTimeout && senders.Any(s => s.Answered + s.ErrorReplies < s.Sent)) await Task.Delay(20).ConfigureAwait(false);
    }

    private List<Measurement> Figures(IMessagingSystem system, List<PairSender> senders, EchoReceiver[] receivers, double seconds, double serverCores)
    {
        long sent = senders.Sum(s => s.Sent);
        long answered = senders.Sum(s => s.Answered);
        long errors = senders.Sum(s => s.ErrorReplies);
        string errorCodes = string.Join(", ", senders.SelectMany(s => s.Errors).GroupBy(e => e.Key).Select(g => $"{g.Key} ×{g.Sum(e => e.Value)}"));
        string[] sendFailures = senders.Select(s => s.SendFailure).OfType<string>().Distinct().ToArray();
        long unreadable = receivers.Sum(r => r.Unreadable);
        int stalled = senders.Count(s => s.Answered + s.ErrorReplies < s.Sent);

        var lostNote = new List<string> { $"sent {sent:N0}, answered {answered:N0}" };
        if (errors > 0) lostNote.Add($"error replies {errors:N0} ({errorCodes})");
        if (stalled > 0) lostNote.Add($"{stalled} of {senders.Count} senders still waiting after a {DrainTimeout.TotalSeconds:0} s drain");
        if (sendFailures.Length > 0) lostNote.Add("send loops stopped by: " + string.Join(" | ", sendFailures));
        if (unreadable > 0) lostNote.Add($"{unreadable:N0} commands arrived re-encoded and could not be answered");

        string who = system.Name;
        return
        [
            new(Name, "round trips/s (2 msgs each)", who, senders.Sum(s => s.MeasuredAnswers) / seconds),
            new(Name, "RTT p50 (µs)", who, LatencySamples.PercentileMicroseconds(senders.Select(s => s.RoundTrips), 0.50)),
            new(Name, "RTT p99 (µs)", who, LatencySamples.PercentileMicroseconds(senders.Select(s => s.RoundTrips), 0.99)),
            new(Name, "server CPU (cores busy)", who, serverCores),
            new(Name, "lost (sent − answered)", who, sent - answered, sent - answered > 0 || errors > 0 || sendFailures.Length > 0 ? string.Join("; ", lostNote) : ""),
            new(Name, "connections closed by server", who, system.Health.Total, system.Health.Describe()),
        ];
    }
}
