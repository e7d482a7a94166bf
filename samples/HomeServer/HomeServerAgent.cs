using System.Device.Gpio;
using System.Device.I2c;
using Meowstik.Agent;
using Meowstik.Agent.Gpio;
using Meowstik.Agent.Iot;
using Meowstik.Protocol;
using Meowstik.Samples.HomeServer.Simulation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meowstik.Samples.HomeServer;

/// <summary>
/// The home server's composition, shared by this sample's Program and by samples/Demo: GPIO (<c>gpio</c>), the BME280
/// (<c>sensor</c>) and the MQTT bridge (<c>proxy</c>: the document's proxy command) on <c>/ws/homeserver/{serverId}</c>.
/// </summary>
public static class HomeServerAgent
{
    /// <summary>The server id when <c>Mesh:DeviceId</c> is not set.</summary>
    public const string DefaultDeviceId = "homeserver-001";

    /// <summary>The TV's target name, as in the design document's proxy example.</summary>
    public const string TvTarget = "living-room-tv";

    /// <summary>Registers the agent and, in simulation, the broker and the sub-devices (started before the agent).</summary>
    /// <param name="builder">The host builder (its configuration is read now).</param>
    /// <returns>What is simulated, one line each, for the console.</returns>
    public static IReadOnlyList<string> Configure(IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IConfiguration config = builder.Configuration;
        SampleSettings settings = SampleHost.ReadSettings(config, DefaultDeviceId);
        var notes = new List<string>();
        SimulatedBroker? broker = null;
        if (settings.Simulation)
        {
            string mode = config["HomeServer:Broker"] ?? "Auto";
            if (mode is not ("Auto" or "Mosquitto" or "InProcess"))
            {
                throw new SampleConfigurationException($"HomeServer:Broker is '{mode}': use Auto (mosquitto when installed, else in-process), Mosquitto or InProcess.");
            }

            broker = new SimulatedBroker(preferMosquitto: mode != "InProcess");
            if (mode == "Mosquitto" && !broker.IsMosquitto)
            {
                throw new SampleConfigurationException("HomeServer:Broker is Mosquitto but mosquitto is not installed (apt-get install mosquitto); use Auto or InProcess.");
            }

            builder.Services.AddSingleton(broker);
            builder.Services.AddHostedService(_ => broker);
            builder.Services.AddSingleton<SimulatedSubDevices>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SimulatedSubDevices>());
            notes.Add(broker.Description);
            notes.Add($"simulation: sub-devices on MQTT: {TvTarget} (Tasmota plug, topic tv), living-room-lights and thermostat (Zigbee2MQTT)");
            var gpio = new SimulatedGpioDriver();
            builder.Services.AddSingleton<GpioDriver>(gpio);
            builder.Services.AddSingleton(gpio);
            builder.Services.AddSingleton<Func<I2cConnectionSettings, I2cDevice>>(s => new SimulatedBme280(s));
            notes.Add("simulation: GPIO is an in-memory chip (porch_light 17, garage_relay 22, doorbell 27), the BME280 a simulated I2C device");
        }

        IMeshAgentBuilder agent = SampleHost.AddAgent(builder, settings, MeshPaths.HomeServer, "homeserver", "Home server (Raspberry Pi)", ["local_device_proxy", "iot_hub"]);
        agent.AddGpio(config.GetSection(GpioOptions.SectionName), o =>
        {
            if (settings.Simulation && o.Pins.Count == 0)
            {
                o.Pins.Add(new GpioPinOptions { Number = 17, Name = "porch_light", Mode = GpioPinMode.Output, InitialValue = GpioLevel.Low });
                o.Pins.Add(new GpioPinOptions { Number = 22, Name = "garage_relay", Mode = GpioPinMode.Output, InitialValue = GpioLevel.Low });
                o.Pins.Add(new GpioPinOptions { Number = 27, Name = "doorbell", Mode = GpioPinMode.Input });
            }
        });
        agent.AddSensors(config.GetSection(SensorOptions.SectionName));
        agent.AddMqttBridge(config.GetSection(MqttBridgeOptions.SectionName), o =>
        {
            if (broker is not null)
            {
                o.Host = "127.0.0.1";
                o.Port = broker.Port;
                o.ReconnectInitialDelay = TimeSpan.FromMilliseconds(200);
                o.ReconnectMaxDelay = TimeSpan.FromSeconds(2);
                o.Devices.TryAdd(TvTarget, new MqttDeviceOptions { Style = MqttDeviceStyle.Tasmota, Topic = SimulatedSubDevices.TvTopic });
                o.Devices.TryAdd("living-room-lights", new MqttDeviceOptions { Style = MqttDeviceStyle.Zigbee2Mqtt });
                o.Devices.TryAdd("thermostat", new MqttDeviceOptions { Style = MqttDeviceStyle.Zigbee2Mqtt });
            }
        });
        return notes;
    }
}
