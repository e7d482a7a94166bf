using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Meowstik.Agent.Iot;

/// <summary>A configured sub-device with its topics resolved.</summary>
internal sealed class MqttTarget
{
    public MqttTarget(string name, MqttDeviceOptions options)
    {
        Name = name;
        Style = options.Style;
        WaitForState = options.WaitForState;
        switch (options.Style)
        {
            case MqttDeviceStyle.Tasmota:
                string topic = options.Topic ?? name;
                StateTopic = options.StateTopic ?? $"stat/{topic}/RESULT";
                CommandTopic = options.CommandTopic ?? $"cmnd/{topic}";
                break;
            case MqttDeviceStyle.Json:
                StateTopic = options.StateTopic!;
                CommandTopic = options.CommandTopic!;
                break;
            default:
                string baseTopic = options.Topic ?? $"zigbee2mqtt/{name}";
                StateTopic = options.StateTopic ?? baseTopic;
                CommandTopic = options.CommandTopic ?? baseTopic + "/set";
                break;
        }
    }

    public string Name { get; }

    public MqttDeviceStyle Style { get; }

    public string StateTopic { get; }

    /// <summary>The command topic (Tasmota: the prefix the command name is appended to).</summary>
    public string CommandTopic { get; }

    public bool WaitForState { get; }

    public string StyleName => Style switch
    {
        MqttDeviceStyle.Tasmota => "tasmota",
        MqttDeviceStyle.Json => "json",
        _ => "zigbee2mqtt",
    };
}

/// <summary>Topic rules and the translation of a proxied command into an MQTT message.</summary>
internal static class MqttTopics
{
    public static bool IsValidTargetName(string name) =>
        name.Length is > 0 and <= 64 && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    public static bool IsValidTopicName(string topic) =>
        topic.Length is > 0 and <= 1024 && !topic.Contains('+', StringComparison.Ordinal) && !topic.Contains('#', StringComparison.Ordinal) && !topic.Contains('\0', StringComparison.Ordinal);

    /// <summary>The topic and payload a nested command becomes, or an error message for the caller.</summary>
    public static bool TryEncode(MqttTarget target, string action, JsonElement parameters, out string topic, out byte[] payload, out string? error)
    {
        error = null;
        switch (target.Style)
        {
            case MqttDeviceStyle.Tasmota:
                topic = $"{target.CommandTopic}/{action.ToUpperInvariant()}";
                if (!TryScalar(parameters, out string? text))
                {
                    (payload, error) = ([], $"a Tasmota command takes a plain value: params {{\"state\": \"on\"}} or {{\"value\": …}} (action '{action}').");
                    return false;
                }

                payload = Encoding.UTF8.GetBytes(action == "power" && text is not null ? text.ToUpperInvariant() : text ?? string.Empty);
                return true;
            case MqttDeviceStyle.Json:
                topic = target.CommandTopic;
                payload = Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("action", action);
                    if (parameters.ValueKind != JsonValueKind.Undefined)
                    {
                        w.WritePropertyName("params");
                        parameters.WriteTo(w);
                    }

                    w.WriteEndObject();
                });
                return true;
            default:
                topic = target.CommandTopic;
                if (action == "set")
                {
                    if (parameters.ValueKind != JsonValueKind.Object)
                    {
                        (payload, error) = ([], "a Zigbee2MQTT 'set' takes an object of attributes as params, e.g. {\"brightness\": 128}.");
                        return false;
                    }

                    payload = Json(parameters.WriteTo);
                    return true;
                }

                if (action == "power")
                {
                    if (!TryScalar(parameters, out string? state) || state is null)
                    {
                        (payload, error) = ([], "'power' takes params {\"state\": \"on\" | \"off\" | \"toggle\"}.");
                        return false;
                    }

                    payload = Json(w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("state", state.ToUpperInvariant());
                        w.WriteEndObject();
                    });
                    return true;
                }

                payload = Json(w =>
                {
                    w.WriteStartObject();
                    w.WritePropertyName(action);
                    JsonElement value = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("value", out JsonElement v) ? v : parameters;
                    if (value.ValueKind == JsonValueKind.Undefined)
                    {
                        w.WriteNullValue();
                    }
                    else
                    {
                        value.WriteTo(w);
                    }

                    w.WriteEndObject();
                });
                return true;
        }
    }

    /// <summary>params.state, params.value, or params itself when it is a scalar; null when there are no params.</summary>
    private static bool TryScalar(JsonElement parameters, out string? text)
    {
        JsonElement value = parameters;
        if (parameters.ValueKind == JsonValueKind.Object)
        {
            if (!parameters.TryGetProperty("state", out value) && !parameters.TryGetProperty("value", out value))
            {
                text = null;
                return parameters.EnumerateObject().MoveNext() is false;
            }
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                text = null;
                return true;
            case JsonValueKind.String:
                text = value.GetString();
                return true;
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                text = value.GetRawText();
                return true;
            default:
                text = null;
                return false;
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
