using Meowstik.Agent;
using System.Device.I2c;
using System.Diagnostics.Metrics;
using Meowstik.Agent.Iot;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the IoT plugin's two capabilities on the agent builder, each on its own: <see cref="AddSensors(IMeshAgentBuilder, Action{SensorOptions})"/>
/// (capability <c>sensor</c>, section <c>Meowstik:Iot:Sensors</c>) and <see cref="AddMqttBridge(IMeshAgentBuilder, Action{MqttBridgeOptions})"/>
/// (capability <c>proxy</c>, section <c>Meowstik:Iot:Mqtt</c>). A device with a sensor opens no broker connection, and a home
/// server without I2C probes no bus.
/// </summary>
public static class IotAgentBuilderExtensions
{
    /// <summary>Adds the <c>sensor</c> capability (BME280/BMP280 over I2C), configured in code; validated when the host starts.</summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddSensors(this IMeshAgentBuilder builder, Action<SensorOptions> configure)
    {
        MeshPluginOptions.Add(builder, SensorOptions.SectionName, configure, static (o, path) => o.FindErrors(path));
        return AddSensorsCore(builder);
    }

    /// <summary>
    /// Adds the <c>sensor</c> capability, configured from a section (usually <c>Meowstik:Iot:Sensors</c>, bound by generated
    /// code), then <paramref name="configure"/>. A key naming no option and any invalid setting fail the host's start, naming the key.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="section">The section: <c>configuration.GetSection(SensorOptions.SectionName)</c>.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddSensors(this IMeshAgentBuilder builder, IConfiguration section, Action<SensorOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, SensorOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, static (o, path) => o.FindErrors(path));
        return AddSensorsCore(builder);
    }

    /// <summary>Adds the <c>proxy</c> capability (the MQTT bridge), configured in code; validated when the host starts.</summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddMqttBridge(this IMeshAgentBuilder builder, Action<MqttBridgeOptions> configure)
    {
        MeshPluginOptions.Add(builder, MqttBridgeOptions.SectionName, configure, static (o, path) => o.FindErrors(path));
        return AddMqttBridgeCore(builder);
    }

    /// <summary>
    /// Adds the <c>proxy</c> capability, configured from a section (usually <c>Meowstik:Iot:Mqtt</c>, bound by generated code),
    /// then <paramref name="configure"/>. A key naming no option and any invalid setting fail the host's start, naming the key.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="section">The section: <c>configuration.GetSection(MqttBridgeOptions.SectionName)</c>.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddMqttBridge(this IMeshAgentBuilder builder, IConfiguration section, Action<MqttBridgeOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, MqttBridgeOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, static (o, path) => o.FindErrors(path));
        return AddMqttBridgeCore(builder);
    }

    private static IMeshAgentBuilder AddSensorsCore(IMeshAgentBuilder builder)
    {
        builder.Services.TryAddSingleton(static sp => new SensorCapability(
            sp.GetRequiredService<IOptions<SensorOptions>>().Value,
            sp.GetService<Func<I2cConnectionSettings, I2cDevice>>(),
            sp.GetService<ILogger<SensorCapability>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        return builder.AddCapability(static sp => sp.GetRequiredService<SensorCapability>());
    }

    private static IMeshAgentBuilder AddMqttBridgeCore(IMeshAgentBuilder builder)
    {
        builder.Services.TryAddSingleton(static sp => new MqttBridgeCapability(
            sp.GetRequiredService<IOptions<MqttBridgeOptions>>().Value,
            sp.GetService<ILogger<MqttBridgeCapability>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        return builder.AddCapability(static sp => sp.GetRequiredService<MqttBridgeCapability>());
    }
}
