using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Iot.Tests;

/// <summary>AddSensors/AddMqttBridge: options bound from Meowstik:Iot:* by the generated binder, validated at start naming the key.</summary>
public sealed class IotHostingTests
{
    private static IHost Build(Dictionary<string, string?> iot, bool sensors = true, bool mqtt = true)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var settings = new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:1/ws/mesh",
            ["Meowstik:Agent:DeviceId"] = "home-001",
            ["Meowstik:Agent:Token"] = "mtk_test",
        };
        foreach ((string key, string? value) in iot)
        {
            settings["Meowstik:Iot:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        IMeshAgentBuilder agent = builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName));
        if (sensors)
        {
            agent.AddSensors(builder.Configuration.GetSection(SensorOptions.SectionName));
        }

        if (mqtt)
        {
            agent.AddMqttBridge(builder.Configuration.GetSection(MqttBridgeOptions.SectionName));
        }

        return builder.Build();
    }

    [Fact]
    public void Options_bind_from_their_sections()
    {
        using IHost host = Build(new()
        {
            ["Sensors:BusId"] = "0",
            ["Sensors:Address"] = "118",
            ["Sensors:Chip"] = "Bmp280",
            ["Sensors:Interval"] = "00:05:00",
            ["Mqtt:Host"] = "broker.lan",
            ["Mqtt:Port"] = "1884",
            ["Mqtt:StateTimeout"] = "00:00:02",
            ["Mqtt:Devices:hall_thermostat:Style"] = "Json",
            ["Mqtt:Devices:hall_thermostat:StateTopic"] = "home/hall/state",
            ["Mqtt:Devices:hall_thermostat:CommandTopic"] = "home/hall/set",
            ["Mqtt:Devices:hall_thermostat:WaitForState"] = "false",
        });
        SensorOptions s = host.Services.GetRequiredService<IOptions<SensorOptions>>().Value;
        Assert.Equal((0, 0x76, SensorChip.Bmp280, TimeSpan.FromMinutes(5)), (s.BusId, s.Address, s.Chip, s.Interval));
        MqttBridgeOptions m = host.Services.GetRequiredService<IOptions<MqttBridgeOptions>>().Value;
        Assert.Equal(("broker.lan", 1884, TimeSpan.FromSeconds(2)), (m.Host, m.Port, m.StateTimeout));
        MqttDeviceOptions d = Assert.Single(m.Devices).Value;
        Assert.Equal((MqttDeviceStyle.Json, "home/hall/state", "home/hall/set", false), (d.Style, d.StateTopic, d.CommandTopic, d.WaitForState));
        Assert.Equal(["proxy", "sensor"], host.Services.GetServices<IMeshCapability>().Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Each_capability_registers_alone()
    {
        using IHost host = Build(new() { ["Sensors:Address"] = "119" }, mqtt: false);
        Assert.Equal(["sensor"], host.Services.GetServices<IMeshCapability>().Select(c => c.Name));
    }

    [Fact]
    public async Task A_misspelt_key_fails_the_start()
    {
        using IHost host = Build(new() { ["Mqtt:Hots"] = "broker.lan", ["Mqtt:Devices:tv:Style"] = "Tasmota" }, sensors: false);
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("'Hots'", e.Message);
    }

    [Fact]
    public async Task Invalid_settings_fail_the_start_each_naming_its_key()
    {
        using IHost mqtt = Build(new() { ["Mqtt:Port"] = "0" }, sensors: false);
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => mqtt.StartAsync());
        Assert.Contains(e.Failures, f => f.StartsWith("Meowstik:Iot:Mqtt:Port is 0", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("Meowstik:Iot:Mqtt:Devices is empty", StringComparison.Ordinal));

        using IHost sensors = Build(new() { ["Sensors:Address"] = "80" }, mqtt: false);
        OptionsValidationException e2 = await Assert.ThrowsAsync<OptionsValidationException>(() => sensors.StartAsync());
        Assert.Contains(e2.Failures, f => f.StartsWith("Meowstik:Iot:Sensors:Address is 80 (0x50)", StringComparison.Ordinal));
    }
}
