using System.Globalization;

namespace Meowstik.Agent.Iot;

/// <summary>How a sub-device speaks MQTT: which topics it uses and how a proxied command becomes a message.</summary>
public enum MqttDeviceStyle
{
    /// <summary>
    /// Zigbee2MQTT: state on <c>&lt;Topic&gt;</c> (JSON, e.g. <c>{"state":"ON","brightness":128}</c>), commands to
    /// <c>&lt;Topic&gt;/set</c>. <c>power</c> {state: on|off|toggle} sends <c>{"state":"ON"}</c>; <c>set</c> sends its params
    /// object as it is; any other action <c>x</c> sends <c>{"x": params.value}</c> (or the params when there is no value).
    /// </summary>
    Zigbee2Mqtt = 0,

    /// <summary>
    /// Tasmota: state on <c>stat/&lt;Topic&gt;/RESULT</c> (JSON, e.g. <c>{"POWER":"ON"}</c>), command <c>x</c> to
    /// <c>cmnd/&lt;Topic&gt;/X</c> (upper case) with params.state or params.value as the plain-text payload
    /// (<c>power</c> {state: on} sends <c>ON</c> to <c>cmnd/tv/POWER</c>).
    /// </summary>
    Tasmota,

    /// <summary>
    /// Explicit topics (<see cref="MqttDeviceOptions.StateTopic"/> and <see cref="MqttDeviceOptions.CommandTopic"/> are
    /// required): the nested command is published as it came, <c>{"action":…,"params":…}</c>.
    /// </summary>
    Json,
}

/// <summary>One sub-device behind the MQTT broker (a proxy target).</summary>
public sealed class MqttDeviceOptions
{
    /// <summary>The topic style. Default <see cref="MqttDeviceStyle.Zigbee2Mqtt"/>.</summary>
    public MqttDeviceStyle Style { get; set; } = MqttDeviceStyle.Zigbee2Mqtt;

    /// <summary>
    /// The device's base topic: Zigbee2MQTT's <c>zigbee2mqtt/&lt;friendly name&gt;</c>, Tasmota's device topic (e.g. <c>tv</c>).
    /// Defaults: <c>zigbee2mqtt/&lt;name&gt;</c> (Zigbee2Mqtt) or <c>&lt;name&gt;</c> (Tasmota).
    /// </summary>
    public string? Topic { get; set; }

    /// <summary>Overrides the style's state topic (required for <see cref="MqttDeviceStyle.Json"/>).</summary>
    public string? StateTopic { get; set; }

    /// <summary>Overrides the style's command topic (required for <see cref="MqttDeviceStyle.Json"/>; for Tasmota a prefix, <c>cmnd/&lt;Topic&gt;</c>).</summary>
    public string? CommandTopic { get; set; }

    /// <summary>Wait for the next state message after a proxied command and answer with it. Default true; false answers once the broker took the message.</summary>
    public bool WaitForState { get; set; } = true;
}

/// <summary>The MQTT bridge's options, bound from <c>Meowstik:Iot:Mqtt</c> (<see cref="SectionName"/>).</summary>
public sealed class MqttBridgeOptions
{
    /// <summary>The configuration section: <c>Meowstik:Iot:Mqtt</c>.</summary>
    public const string SectionName = "Meowstik:Iot:Mqtt";

    /// <summary>The broker's host. Default <c>127.0.0.1</c> (a broker on this machine; there is no remote default).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The broker's TCP port. Default 1883.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>The MQTT client id. Default <c>meowstik-iot-</c> and 8 random hex digits.</summary>
    public string? ClientId { get; set; }

    /// <summary>The broker user name, if it requires one.</summary>
    public string? Username { get; set; }

    /// <summary>The broker password (never logged).</summary>
    public string? Password { get; set; }

    /// <summary>How long to wait for the broker's CONNACK. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first reconnect delay (the ceiling doubles each attempt up to <see cref="ReconnectMaxDelay"/>; the delay is a random fraction of it). Default 1 s.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnect delay. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a proxied command waits for the sub-device's next state message. Default 5 s.</summary>
    public TimeSpan StateTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The sub-devices, by proxy target name (1-64 characters of letters, digits, <c>_</c> and <c>-</c>, e.g. <c>living_room_tv</c>).</summary>
    public Dictionary<string, MqttDeviceOptions> Devices { get; set; } = new(StringComparer.Ordinal);

    internal IEnumerable<string> FindErrors(string section)
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return $"{section}:Host is empty: set the broker's host, e.g. 127.0.0.1.";
        }

        if (Port is < 1 or > 65535)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{section}:Port is {Port}: a TCP port is 1-65535 (MQTT listens on 1883).");
        }

        if (ClientId is { Length: 0 or > 128 })
        {
            yield return $"{section}:ClientId must be 1-128 characters when set.";
        }

        if (Password is not null && Username is null)
        {
            yield return $"{section}:Password is set without {section}:Username.";
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            yield return $"{section}:ConnectTimeout must be positive.";
        }

        if (ReconnectInitialDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectInitialDelay)
        {
            yield return $"{section}:ReconnectInitialDelay must be positive and at most {section}:ReconnectMaxDelay.";
        }

        if (StateTimeout <= TimeSpan.Zero || StateTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{section}:StateTimeout must be positive and at most 5 minutes.";
        }

        if (Devices.Count == 0)
        {
            yield return $"{section}:Devices is empty: configure at least one sub-device, e.g. Devices:living_room_tv:Style = Tasmota.";
        }

        foreach ((string name, MqttDeviceOptions device) in Devices)
        {
            string key = $"{section}:Devices:{name}";
            if (!MqttTopics.IsValidTargetName(name))
            {
                yield return $"{key}: a target name is 1-64 characters of a-z, A-Z, 0-9, _ and -, e.g. living_room_tv.";
            }

            if (device is null)
            {
                yield return $"{key} is empty.";
                continue;
            }

            if (!Enum.IsDefined(device.Style))
            {
                yield return $"{key}:Style is {device.Style}: use Zigbee2Mqtt, Tasmota or Json.";
                continue;
            }

            if (device.Style == MqttDeviceStyle.Json && (string.IsNullOrWhiteSpace(device.StateTopic) || string.IsNullOrWhiteSpace(device.CommandTopic)))
            {
                yield return $"{key}: Style Json needs StateTopic and CommandTopic.";
            }

            foreach ((string option, string? topic) in new[] { ("Topic", device.Topic), ("StateTopic", device.StateTopic), ("CommandTopic", device.CommandTopic) })
            {
                if (topic is not null && !MqttTopics.IsValidTopicName(topic))
                {
                    yield return $"{key}:{option} '{topic}' is not a topic name: it must be non-empty, without the wildcards + and #.";
                }
            }
        }
    }
}
