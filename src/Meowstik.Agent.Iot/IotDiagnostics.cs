using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Iot;

/// <summary>The plugin's meter, <c>Meowstik.Agent.Iot</c>, and its instruments.</summary>
public static class IotMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Meowstik.Agent.Iot";

    /// <summary>Sensor readings taken (tag <c>result</c>: ok, error).</summary>
    public const string SensorReadings = "meowstik.agent.iot.sensor.readings";

    /// <summary>MQTT state messages received from sub-devices.</summary>
    public const string MqttMessages = "meowstik.agent.iot.mqtt.messages";

    /// <summary>Proxy commands (tag <c>result</c>: ok or the error code).</summary>
    public const string ProxyCommands = "meowstik.agent.iot.proxy.commands";

    /// <summary>Connections to the MQTT broker (the first and every reconnect).</summary>
    public const string MqttConnects = "meowstik.agent.iot.mqtt.connects";
}

internal sealed class IotInstruments
{
    public IotInstruments(IMeterFactory? meterFactory)
    {
        Meter meter = meterFactory?.Create(IotMetrics.MeterName) ?? new Meter(IotMetrics.MeterName);
        SensorReadings = meter.CreateCounter<long>(IotMetrics.SensorReadings, "{reading}", "Sensor readings, by result.");
        MqttMessages = meter.CreateCounter<long>(IotMetrics.MqttMessages, "{message}", "MQTT state messages received from sub-devices.");
        ProxyCommands = meter.CreateCounter<long>(IotMetrics.ProxyCommands, "{command}", "Proxy commands, by result.");
        MqttConnects = meter.CreateCounter<long>(IotMetrics.MqttConnects, "{connect}", "Connections to the MQTT broker.");
    }

    public Counter<long> SensorReadings { get; }

    public Counter<long> MqttMessages { get; }

    public Counter<long> ProxyCommands { get; }

    public Counter<long> MqttConnects { get; }
}

internal static partial class IotLog
{
    [LoggerMessage(4101, LogLevel.Information, "Sensor {Chip} found on I2C bus {BusId} at address 0x{Address:x2}.")]
    public static partial void SensorOpened(ILogger logger, string chip, int busId, int address);

    [LoggerMessage(4102, LogLevel.Warning, "Sensor on I2C bus {BusId} at address 0x{Address:x2} failed: {Reason}.")]
    public static partial void SensorFailed(ILogger logger, int busId, int address, string reason);

    [LoggerMessage(4110, LogLevel.Information, "MQTT bridge connected to {Broker}; {Devices} sub-devices.")]
    public static partial void MqttConnected(ILogger logger, string broker, int devices);

    [LoggerMessage(4111, LogLevel.Warning, "MQTT bridge: broker {Broker} unavailable ({Reason}); retrying in {DelayMs} ms.")]
    public static partial void MqttRetrying(ILogger logger, string broker, string reason, long delayMs);

    [LoggerMessage(4112, LogLevel.Warning, "MQTT bridge: lost the connection to {Broker} ({Reason}).")]
    public static partial void MqttDisconnected(ILogger logger, string broker, string reason);

    [LoggerMessage(4113, LogLevel.Debug, "MQTT bridge: state of {Target} on {Topic}.")]
    public static partial void StateReceived(ILogger logger, string target, string topic);

    [LoggerMessage(4114, LogLevel.Information, "proxy {Target}: {Action} refused ({Code}).")]
    public static partial void ProxyFailed(ILogger logger, string target, string action, string code);
}
