using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>
/// Sends this process's figures (uptime, working set, CPU) as a <c>heartbeat</c> right after registration and then every
/// interval, on its own timer, so a slow handler or a long outbox never delays it.
/// </summary>
internal sealed class HeartbeatSender
{
    private readonly ProcessMetricsSampler _sampler;
    private readonly AgentInstruments _instruments;
    private readonly byte[] _deviceIdUtf8;
    private readonly TimeProvider _time;

    public HeartbeatSender(ProcessMetricsSampler sampler, AgentInstruments instruments, byte[] deviceIdUtf8, TimeProvider time)
    {
        _sampler = sampler;
        _instruments = instruments;
        _deviceIdUtf8 = deviceIdUtf8;
        _time = time;
    }

    /// <summary>Beats until cancelled or the connection fails.</summary>
    public async Task<ConnectionOutcome> RunAsync(SessionWriter writer, TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            // One beat right after registration gives the hub fresh figures at once; then one per interval.
            await SendAsync(writer, cancellationToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(interval, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await SendAsync(writer, cancellationToken).ConfigureAwait(false);
            }

            return new ConnectionOutcome(true, false, "stopped", null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ConnectionOutcome(true, false, "stopped", null);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            return new ConnectionOutcome(true, false, "heartbeat send failed: " + ex.Message, ex);
        }
    }

    private async Task SendAsync(SessionWriter writer, CancellationToken cancellationToken)
    {
        ProcessMetrics figures = _sampler.Sample();
        await writer.SendAsync((this, figures), static (w, state) =>
        {
            state.Item1.Encode(w, state.figures);
            return System.Net.WebSockets.WebSocketMessageType.Text;
        }, cancellationToken).ConfigureAwait(false);
        _instruments.Sent("heartbeat");
    }

    private void Encode(WebSocketMessageWriter writer, ProcessMetrics figures)
    {
        var header = new EnvelopeHeader(MessageType.Heartbeat) { From = _deviceIdUtf8, To = DeviceId.HubUtf8 };
        Utf8JsonWriter json = writer.Envelope.BeginEnvelope(writer.Buffer, header);
        HeartbeatPayload.Write(json, new HeartbeatPayload(figures.UptimeSeconds, figures.MemoryMegabytes, figures.CpuPercent));
        writer.Envelope.EndEnvelope();
    }
}
