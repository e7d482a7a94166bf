using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using MQTTnet;
using MQTTnet.Protocol;

namespace Meowstik.Samples.HomeServer.Simulation;

/// <summary>
/// The living room on MQTT, as one MQTTnet client behaving like the real firmware: a Tasmota TV plug (topic <c>tv</c>:
/// <c>cmnd/tv/POWER</c> → <c>stat/tv/RESULT {"POWER":"ON"}</c>), and Zigbee2MQTT lights and a thermostat
/// (<c>zigbee2mqtt/&lt;name&gt;/set</c> → the merged state on <c>zigbee2mqtt/&lt;name&gt;</c>). Each publishes its state once at start.
/// </summary>
public sealed class SimulatedSubDevices(SimulatedBroker broker) : IHostedService, IAsyncDisposable
{
    /// <summary>The TV's Tasmota topic.</summary>
    public const string TvTopic = "tv";

    private readonly Dictionary<string, Dictionary<string, JsonElement>> _zigbee = new(StringComparer.Ordinal)
    {
        ["living-room-lights"] = Parse("""{"state":"OFF","brightness":180,"color_temp":370}"""),
        ["thermostat"] = Parse("""{"local_temperature":20.5,"occupied_heating_setpoint":21,"system_mode":"heat","running_state":"idle"}"""),
    };

    private IMqttClient? _client;
    private string _tvPower = "OFF";

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IMqttClient client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e => OnMessageAsync(e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload.ToArray()));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("sim-living-room").Build(), timeout.Token);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter($"cmnd/{TvTopic}/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("zigbee2mqtt/+/set", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), timeout.Token);
        _client = client;
        await PublishAsync($"stat/{TvTopic}/RESULT", $$"""{"POWER":"{{_tvPower}}"}""", retain: true);
        foreach (string name in _zigbee.Keys)
        {
            await PublishAsync($"zigbee2mqtt/{name}", State(name), retain: true);
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_client is { } client)
        {
            _client = null;
            try
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync();
                }
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                // The broker went first.
            }

            client.Dispose();
        }
    }

    private async Task OnMessageAsync(string topic, string payload)
    {
        if (topic.StartsWith($"cmnd/{TvTopic}/", StringComparison.Ordinal))
        {
            string command = topic[($"cmnd/{TvTopic}/".Length)..].ToUpperInvariant();
            if (command == "POWER")
            {
                _tvPower = payload.Trim().ToUpperInvariant() switch
                {
                    "ON" or "1" or "TRUE" => "ON",
                    "TOGGLE" => _tvPower == "ON" ? "OFF" : "ON",
                    "" => _tvPower,
                    _ => "OFF",
                };
            }

            await PublishAsync($"stat/{TvTopic}/RESULT", $$"""{"POWER":"{{_tvPower}}"}""", retain: false);
            return;
        }

        string[] parts = topic.Split('/');
        if (parts is ["zigbee2mqtt", var name, "set"] && _zigbee.TryGetValue(name, out Dictionary<string, JsonElement>? state))
        {
            try
            {
                using JsonDocument doc = JsonDocument.Parse(payload);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    lock (state)
                    {
                        foreach (JsonProperty p in doc.RootElement.EnumerateObject())
                        {
                            state[p.Name] = p.Value.Clone();
                        }
                    }
                }
            }
            catch (JsonException)
            {
                return;   // Zigbee2MQTT ignores what it cannot parse
            }

            await PublishAsync($"zigbee2mqtt/{name}", State(name), retain: false);
        }
    }

    private string State(string name)
    {
        Dictionary<string, JsonElement> state = _zigbee[name];
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            lock (state)
            {
                foreach ((string key, JsonElement value) in state)
                {
                    w.WritePropertyName(key);
                    value.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private async Task PublishAsync(string topic, string payload, bool retain)
    {
        if (_client is { IsConnected: true } client)
        {
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build());
        }
    }

    private static Dictionary<string, JsonElement> Parse(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }
}
