using System.Buffers;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace Meowstik.Agent.Iot.Tests;

/// <summary>
/// A sub-device on the broker, as an MQTTnet client: it receives what the bridge publishes to its command topic and
/// answers on its state topic with what <c>answer</c> makes of the command (null: no answer).
/// </summary>
internal sealed class SimulatedSubDevice : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly List<(string Topic, string Payload)> _received = [];

    private SimulatedSubDevice(IMqttClient client)
    {
        _client = client;
    }

    public IReadOnlyList<(string Topic, string Payload)> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<SimulatedSubDevice> StartAsync(int port, string commandTopicFilter, Func<string, string, (string Topic, string Payload)?> answer)
    {
        IMqttClient client = new MqttClientFactory().CreateMqttClient();
        var device = new SimulatedSubDevice(client);
        client.ApplicationMessageReceivedAsync += async e =>
        {
            string topic = e.ApplicationMessage.Topic;
            string payload = Encoding.UTF8.GetString(e.ApplicationMessage.Payload.ToArray());
            lock (device._received)
            {
                device._received.Add((topic, payload));
            }

            if (answer(topic, payload) is { } reply)
            {
                await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(reply.Topic).WithPayload(reply.Payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            }
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("sim-" + Guid.NewGuid().ToString("N")).Build(), timeout.Token);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(commandTopicFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token);
        return device;
    }

    public Task PublishAsync(string topic, string payload) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
        }

        _client.Dispose();
    }
}
