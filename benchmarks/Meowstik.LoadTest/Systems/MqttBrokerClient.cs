using System.Buffers;
using MQTTnet;
using MQTTnet.Protocol;

namespace Meowstik.LoadTest.Systems;

/// <summary>
/// One MQTTnet connection subscribed to <c>mesh/&lt;id&gt;</c> (and <c>mesh/broadcast</c>) at QoS 0: the MQTT equivalent of a
/// registered hub device. Messages are the same envelope bytes the hub carries, as opaque payloads.
/// </summary>
internal sealed class MqttBrokerClient : IMessagingClient
{
    private static readonly MqttClientFactory Factory = new();

    private readonly IMqttClient _client;
    private volatile bool _closing;

    private MqttBrokerClient(string id, IMqttClient client)
    {
        Id = id;
        _client = client;
    }

    public string Id { get; }

    public static string TopicOf(string clientId) => "mesh/" + clientId;

    public static async Task<MqttBrokerClient> ConnectAsync(
        int port, string clientId, bool receivesBroadcast, MessageHandler? onMessage, ConnectionHealth health, CancellationToken cancellationToken)
    {
        IMqttClient mqtt = Factory.CreateMqttClient();
        var client = new MqttBrokerClient(clientId, mqtt);
        mqtt.DisconnectedAsync += args =>
        {
            if (!client._closing && args.ClientWasConnected) health.RecordUnwantedClose($"disconnected: {args.Reason} {args.ReasonString}".TrimEnd());
            return Task.CompletedTask;
        };
        if (onMessage is not null)
        {
            mqtt.ApplicationMessageReceivedAsync += async args =>
            {
                ReadOnlySequence<byte> payload = args.ApplicationMessage.Payload;
                byte[] bytes = payload.IsSingleSegment && System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload.First, out ArraySegment<byte> segment)
                    && segment.Offset == 0 && segment.Count == segment.Array!.Length
                    ? segment.Array
                    : payload.ToArray();
                await onMessage(client, bytes).ConfigureAwait(false);
            };
        }
        MqttClientOptions options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId)
            .WithCleanSession()
            .WithTimeout(TimeSpan.FromSeconds(30))
            .Build();
        try
        {
            await mqtt.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            if (onMessage is not null)
            {
                MqttClientSubscribeOptionsBuilder subscribe = Factory.CreateSubscribeOptionsBuilder()
                    .WithTopicFilter(TopicOf(clientId), MqttQualityOfServiceLevel.AtMostOnce);
                if (receivesBroadcast) subscribe = subscribe.WithTopicFilter(TopicOf("broadcast"), MqttQualityOfServiceLevel.AtMostOnce);
                // SUBACK: once it arrives, the broker routes the topics to this client.
                await mqtt.SubscribeAsync(subscribe.Build(), cancellationToken).ConfigureAwait(false);
            }
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask SendAsync(string to, byte[] message, CancellationToken cancellationToken)
    {
        MqttApplicationMessage publish = new MqttApplicationMessageBuilder()
            .WithTopic(TopicOf(to))
            .WithPayload(message)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce)
            .Build();
        await _client.PublishAsync(publish, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        try
        {
            if (_client.IsConnected) await _client.DisconnectAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
        {
        }
        _client.Dispose();
    }
}
