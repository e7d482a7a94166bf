using System.Diagnostics;
using Meowstik.LoadTest.Measuring;
using Meowstik.LoadTest.Messages;
using Meowstik.LoadTest.Reporting;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>
/// One sender, <paramref name="receivers"/> receivers: the sender keeps <paramref name="window"/> broadcasts in flight
/// (credits come back per delivery, so a slow or lost delivery holds it back). Hub: an <c>event</c> to <c>broadcast</c> from a
/// device every receiver may observe; NATS: one subject with every receiver subscribed; MQTT: one topic, QoS 0.
/// </summary>
internal sealed class BroadcastScenario(int receivers, int window, TimeSpan warmup, TimeSpan duration) : IScenario
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(3);

    private readonly CreditWindow _credits = new((long)receivers * window);
    private readonly MeasurementPhase _phase = new();
    private long _deliveries;
    private long _measuredDeliveries;
    private long _errorReplies;

    public string Name => $"broadcast 1→{receivers}";

    public async Task<IReadOnlyList<Measurement>> RunAsync(IMessagingSystem system, CancellationToken cancellationToken)
    {
        system.Health.Reset();
        var clients = new List<IMessagingClient>();
        IMessagingClient? sender = null;
        try
        {
            for (int i = 0; i < receivers; i++)
            {
                clients.Add(await system.ConnectAsync(DeviceNames.BroadcastReceiver(i), receivesBroadcast: true, OnDeliveryAsync, cancellationToken).ConfigureAwait(false));
            }
            sender = await system.ConnectAsync(DeviceNames.BroadcastSender, receivesBroadcast: false, OnSenderMessageAsync, cancellationToken).ConfigureAwait(false);

            using var stop = new CancellationTokenSource(warmup + duration);
            Task<(long Sent, string? Failure)> loop = Task.Run(() => SendLoopAsync(sender, stop.Token), CancellationToken.None);
            await Task.Delay(warmup, cancellationToken).ConfigureAwait(false);
            _phase.Start();
            var measured = Stopwatch.StartNew();
            TimeSpan cpuBefore = system.Server.CpuTime();
            await Task.Delay(duration, cancellationToken).ConfigureAwait(false);
            _phase.Stop();
            double seconds = measured.Elapsed.TotalSeconds;
            double serverCores = (system.Server.CpuTime() - cpuBefore).TotalSeconds / seconds;
            (long sent, string? failure) = await loop.ConfigureAwait(false);
            long expected = sent * receivers;
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < DrainTimeout && Interlocked.Read(ref _deliveries) < expected) await Task.Delay(20, cancellationToken).ConfigureAwait(false);

            long lost = expected - Interlocked.Read(ref _deliveries);
            var note = new List<string>();
            if (lost != 0 || failure is not null || _errorReplies > 0) note.Add($"sent {sent:N0} × {receivers} = {expected:N0}, delivered {Interlocked.Read(ref _deliveries):N0}");
            if (_errorReplies > 0) note.Add($"{_errorReplies:N0} error replies to the sender");
            if (failure is not null) note.Add("send loop stopped by: " + failure);
            return
            [
                new(Name, "deliveries/s", system.Name, Interlocked.Read(ref _measuredDeliveries) / seconds),
                new(Name, "server CPU (cores busy)", system.Name, serverCores),
                new(Name, "lost deliveries", system.Name, lost, string.Join("; ", note)),
                new(Name, "connections closed by server", system.Name, system.Health.Total, system.Health.Describe()),
            ];
        }
        finally
        {
            await ScenarioClients.DisposeAllAsync([sender]).ConfigureAwait(false);
            await ScenarioClients.DisposeAllAsync(clients).ConfigureAwait(false);
        }
    }

    private async Task<(long Sent, string? Failure)> SendLoopAsync(IMessagingClient sender, CancellationToken stop)
    {
        MessageTemplate template = MessageTemplate.BroadcastEvent(sender.Id);
        long sent = 0;
        try
        {
            while (await _credits.TakeAsync(receivers, stop).ConfigureAwait(false))
            {
                await sender.SendAsync("broadcast", template.Render(sent + 1, Stopwatch.GetTimestamp()), CancellationToken.None).ConfigureAwait(false);
                sent++;
            }
            return (sent, null);
        }
        catch (Exception ex)
        {
            return (sent, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private ValueTask OnDeliveryAsync(IMessagingClient receiver, ReadOnlyMemory<byte> message)
    {
        if (!ReceivedMessage.IsTickEvent(message.Span)) return ValueTask.CompletedTask;
        Interlocked.Increment(ref _deliveries);
        if (_phase.Active) Interlocked.Increment(ref _measuredDeliveries);
        _credits.Release(1);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnSenderMessageAsync(IMessagingClient sender, ReadOnlyMemory<byte> message)
    {
        if (ReceivedMessage.IsError(message.Span)) Interlocked.Increment(ref _errorReplies);
        return ValueTask.CompletedTask;
    }
}
