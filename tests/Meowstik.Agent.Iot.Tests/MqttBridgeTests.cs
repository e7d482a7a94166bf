using System.Text.Json;

namespace Meowstik.Agent.Iot.Tests;

/// <summary>The MQTT bridge against a real mosquitto, with sub-devices simulated by MQTTnet clients.</summary>
public sealed class MqttBridgeTests
{
    internal static MqttBridgeOptions Options(int port, TimeSpan? stateTimeout = null) => new()
    {
        Port = port,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        StateTimeout = stateTimeout ?? TimeSpan.FromSeconds(10),
        Devices =
        {
            ["living_room_tv"] = new MqttDeviceOptions { Style = MqttDeviceStyle.Tasmota, Topic = "tv" },
            ["desk_lamp"] = new MqttDeviceOptions { Style = MqttDeviceStyle.Zigbee2Mqtt },
        },
    };

    /// <summary>A Tasmota TV: cmnd/tv/POWER ON → stat/tv/RESULT {"POWER":"ON"}.</summary>
    internal static Task<SimulatedSubDevice> StartTvAsync(int port) => SimulatedSubDevice.StartAsync(port, "cmnd/tv/#", (topic, payload) =>
        topic == "cmnd/tv/POWER" ? ("stat/tv/RESULT", $$"""{"POWER":"{{payload}}"}""") : null);

    /// <summary>A Zigbee2MQTT lamp: zigbee2mqtt/desk_lamp/set {"state":"ON"} → zigbee2mqtt/desk_lamp {"state":"ON","brightness":254}.</summary>
    private static Task<SimulatedSubDevice> StartLampAsync(int port) => SimulatedSubDevice.StartAsync(port, "zigbee2mqtt/desk_lamp/set", (_, payload) =>
    {
        using JsonDocument set = JsonDocument.Parse(payload);
        string state = set.RootElement.TryGetProperty("state", out JsonElement s) ? s.GetString()! : "ON";
        int brightness = set.RootElement.TryGetProperty("brightness", out JsonElement b) ? b.GetInt32() : 254;
        return ("zigbee2mqtt/desk_lamp", $$"""{"state":"{{state}}","brightness":{{brightness}},"linkquality":120}""");
    });

    private static MeshJson Proxy(string target, string action, string paramsJson) =>
        MeshJson.Raw($$$"""{"target":"{{{target}}}","command":{"action":"{{{action}}}","params":{{{paramsJson}}}}}""");

    private static async Task<(CapabilityHarness Harness, MqttBridgeCapability Bridge)> StartBridgeAsync(MqttBridgeOptions options)
    {
        var bridge = new MqttBridgeCapability(options, timeProvider: TimeProvider.System);
        var harness = new CapabilityHarness([bridge], new CapabilityHarnessOptions { CommandTimeout = TimeSpan.FromSeconds(30) });
        harness.StartBackground(bridge);
        await bridge.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(20));
        return (harness, bridge);
    }

    [MosquittoFact]
    public async Task Proxy_publishes_to_the_command_topic_and_answers_with_the_next_state()
    {
        await using MosquittoBroker broker = await MosquittoBroker.StartAsync();
        await using SimulatedSubDevice tv = await StartTvAsync(broker.Port);
        await using SimulatedSubDevice lamp = await StartLampAsync(broker.Port);
        (CapabilityHarness harness, MqttBridgeCapability bridge) = await StartBridgeAsync(Options(broker.Port));
        await using (harness)
        using (bridge)
        {
            Assert.Equal(["proxy.devices", "proxy.state"], harness.Queries.Order(StringComparer.Ordinal));
            Assert.Equal(["proxy"], harness.Commands);

            CommandResult on = await harness.CommandAsync("proxy", Proxy("living_room_tv", "power", """{"state":"on"}"""));

            Assert.True(on.IsSuccess, on.ErrorMessage);
            JsonElement r = on.Result.ToElement();
            Assert.Equal("living_room_tv", r.GetProperty("target").GetString());
            Assert.Equal("ON", r.GetProperty("state").GetProperty("POWER").GetString());
            Assert.Contains(("cmnd/tv/POWER", "ON"), tv.Received);

            CommandResult dim = await harness.CommandAsync("proxy", Proxy("desk_lamp", "set", """{"state":"ON","brightness":80}"""));
            Assert.True(dim.IsSuccess, dim.ErrorMessage);
            Assert.Equal(80, dim.Result.ToElement().GetProperty("state").GetProperty("brightness").GetInt32());
            (string topic, string payload) = Assert.Single(lamp.Received);
            Assert.Equal("zigbee2mqtt/desk_lamp/set", topic);
            Assert.Equal("""{"state":"ON","brightness":80}""", payload);

            // Every state message is an event, and the last-known state is queryable.
            RecordedEvent e = await harness.Publisher.WaitForEventAsync(MqttBridgeCapability.StateEvent).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("living_room_tv", e.Data.GetProperty("target").GetString());
            CommandResult state = await harness.QueryAsync("proxy.state", MeshJson.Raw("""{"target":"desk_lamp"}"""));
            Assert.Equal(80, state.Result.ToElement().GetProperty("state").GetProperty("brightness").GetInt32());
            CommandResult devices = await harness.QueryAsync("proxy.devices");
            JsonElement list = devices.Result.ToElement();
            Assert.True(list.GetProperty("connected").GetBoolean());
            Assert.Equal(["desk_lamp", "living_room_tv"], list.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("target").GetString()));
            Assert.All(list.GetProperty("devices").EnumerateArray(), d => Assert.True(d.GetProperty("seen").GetBoolean()));
            Assert.Equal("stat/tv/RESULT", list.GetProperty("devices")[1].GetProperty("state_topic").GetString());
        }
    }

    [MosquittoFact]
    public async Task The_documents_payload_form_is_understood()
    {
        await using MosquittoBroker broker = await MosquittoBroker.StartAsync();
        await using SimulatedSubDevice tv = await StartTvAsync(broker.Port);
        (CapabilityHarness harness, MqttBridgeCapability bridge) = await StartBridgeAsync(Options(broker.Port));
        await using (harness)
        using (bridge)
        {
            JsonElement payload = JsonDocument.Parse("""{"action":"proxy","target":"living_room_tv","command":{"action":"power","params":{"state":"off"}}}""").RootElement;
            var context = new CommandContext(CommandKind.Command, "proxy", "msg_1", "phone-001", default, payload, harness.Publisher);

            CommandResult result = await bridge.HandleAsync(context, CancellationToken.None);

            Assert.True(result.IsSuccess, result.ErrorMessage);
            Assert.Equal("OFF", result.Result.ToElement().GetProperty("state").GetProperty("POWER").GetString());
        }
    }

    [MosquittoFact]
    public async Task Partial_states_merge_into_the_last_known_state_and_each_is_an_event()
    {
        await using MosquittoBroker broker = await MosquittoBroker.StartAsync();
        await using SimulatedSubDevice tv = await StartTvAsync(broker.Port);
        (CapabilityHarness harness, MqttBridgeCapability bridge) = await StartBridgeAsync(Options(broker.Port));
        await using (harness)
        using (bridge)
        {
            Assert.Equal(MqttBridgeCapability.NoStateError, (await harness.QueryAsync("proxy.state", MeshJson.Raw("""{"target":"living_room_tv"}"""))).ErrorCode);

            await tv.PublishAsync("stat/tv/RESULT", """{"Dimmer":40}""");
            await tv.PublishAsync("stat/tv/RESULT", """{"POWER":"OFF"}""");
            while (harness.Publisher.Events.Count < 2)
            {
                await Task.Delay(10);
            }

            CommandResult state = await harness.QueryAsync("proxy.state", MeshJson.Raw("""{"target":"living_room_tv"}"""));
            JsonElement s = state.Result.ToElement();
            Assert.Equal(40, s.GetProperty("state").GetProperty("Dimmer").GetInt32());
            Assert.Equal("OFF", s.GetProperty("state").GetProperty("POWER").GetString());
            Assert.Equal("""{"POWER":"OFF"}""", s.GetProperty("update").GetRawText());
            Assert.Equal([40, 40], harness.Publisher.Events.Select(e => e.Data.GetProperty("state").GetProperty("Dimmer").GetInt32()));
        }
    }

    [MosquittoFact]
    public async Task A_device_that_does_not_answer_is_a_typed_timeout()
    {
        await using MosquittoBroker broker = await MosquittoBroker.StartAsync();
        await using SimulatedSubDevice silent = await SimulatedSubDevice.StartAsync(broker.Port, "cmnd/tv/#", (_, _) => null);
        (CapabilityHarness harness, MqttBridgeCapability bridge) = await StartBridgeAsync(Options(broker.Port, TimeSpan.FromMilliseconds(500)));
        await using (harness)
        using (bridge)
        {
            CommandResult result = await harness.CommandAsync("proxy", Proxy("living_room_tv", "power", """{"state":"on"}"""));

            Assert.Equal(MqttBridgeCapability.DeviceTimeoutError, result.ErrorCode);
            Assert.Contains("stat/tv/RESULT", result.ErrorMessage);
            Assert.Contains(("cmnd/tv/POWER", "ON"), silent.Received); // it was published, the device said nothing
        }
    }

    [MosquittoFact]
    public async Task After_a_broker_restart_the_bridge_reconnects_and_proxies_again()
    {
        await using MosquittoBroker broker = await MosquittoBroker.StartAsync();
        SimulatedSubDevice tv = await StartTvAsync(broker.Port);
        (CapabilityHarness harness, MqttBridgeCapability bridge) = await StartBridgeAsync(Options(broker.Port));
        await using (harness)
        using (bridge)
        {
            Assert.True((await harness.CommandAsync("proxy", Proxy("living_room_tv", "power", """{"state":"on"}"""))).IsSuccess);

            await broker.KillAsync();
            await tv.DisposeAsync();
            CommandResult refused;
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                while ((refused = await harness.CommandAsync("proxy", Proxy("living_room_tv", "power", """{"state":"off"}"""))).IsSuccess || refused.ErrorCode == MqttBridgeCapability.DeviceTimeoutError)
                {
                    await Task.Delay(20, deadline.Token);
                }
            }

            Assert.Equal(MqttBridgeCapability.BrokerUnavailableError, refused.ErrorCode);
            Assert.Contains($"mqtt://127.0.0.1:{broker.Port}", refused.ErrorMessage);
            Assert.False(bridge.IsConnected);

            await broker.StartAgainAsync();
            await using SimulatedSubDevice tvAgain = await StartTvAsync(broker.Port);
            await bridge.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));
            CommandResult again;
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                // The bridge may still be subscribing when WaitUntilConnected returns on a stale signal; retry refusals only.
                while ((again = await harness.CommandAsync("proxy", Proxy("living_room_tv", "power", """{"state":"off"}"""))).ErrorCode == MqttBridgeCapability.BrokerUnavailableError)
                {
                    await Task.Delay(50, deadline.Token);
                }
            }

            Assert.True(again.IsSuccess, again.ErrorMessage);
            Assert.Equal("OFF", again.Result.ToElement().GetProperty("state").GetProperty("POWER").GetString());
            Assert.Contains(("cmnd/tv/POWER", "OFF"), tvAgain.Received);
        }
    }
}

/// <summary>Refusals that need no broker.</summary>
public sealed class MqttBridgeRefusalTests
{
    [Fact]
    public async Task Bad_requests_and_a_missing_broker_are_typed_errors_and_nothing_is_queued()
    {
        // Port 1 on 127.0.0.1: nothing listens, and the bridge is not even started.
        using var bridge = new MqttBridgeCapability(MqttBridgeTests.Options(1));
        await using var harness = new CapabilityHarness(bridge);

        CommandResult unknown = await harness.CommandAsync("proxy", MeshJson.Raw("""{"target":"garage_door","command":{"action":"open"}}"""));
        Assert.Equal(MqttBridgeCapability.UnknownTargetError, unknown.ErrorCode);
        Assert.Contains("desk_lamp, living_room_tv", unknown.ErrorMessage);

        CommandResult noCommand = await harness.CommandAsync("proxy", MeshJson.Raw("""{"target":"desk_lamp"}"""));
        Assert.Equal(MqttBridgeCapability.InvalidParamsError, noCommand.ErrorCode);

        CommandResult badSet = await harness.CommandAsync("proxy", MeshJson.Raw("""{"target":"desk_lamp","command":{"action":"set","params":"bright"}}"""));
        Assert.Equal(MqttBridgeCapability.InvalidParamsError, badSet.ErrorCode);

        CommandResult offline = await harness.CommandAsync("proxy", MeshJson.Raw("""{"target":"desk_lamp","command":{"action":"power","params":{"state":"on"}}}"""));
        Assert.Equal(MqttBridgeCapability.BrokerUnavailableError, offline.ErrorCode);
        Assert.Contains("nothing was sent", offline.ErrorMessage);

        CommandResult queryProxy = await harness.QueryAsync("proxy", MeshJson.Raw("""{"target":"desk_lamp","command":{"action":"power"}}"""));
        Assert.Equal("forbidden", queryProxy.ErrorCode); // proxy changes state: a query may not run it
    }

    [Fact]
    public void Commands_become_the_styles_topics_and_payloads()
    {
        var tv = new MqttTarget("living_room_tv", new MqttDeviceOptions { Style = MqttDeviceStyle.Tasmota, Topic = "tv" });
        var lamp = new MqttTarget("desk_lamp", new MqttDeviceOptions());
        var json = new MqttTarget("thermostat", new MqttDeviceOptions { Style = MqttDeviceStyle.Json, StateTopic = "home/thermostat", CommandTopic = "home/thermostat/cmd" });

        Assert.Equal(("stat/tv/RESULT", "cmnd/tv"), (tv.StateTopic, tv.CommandTopic));
        Assert.Equal(("zigbee2mqtt/desk_lamp", "zigbee2mqtt/desk_lamp/set"), (lamp.StateTopic, lamp.CommandTopic));
        Assert.Equal(("cmnd/tv/POWER", "ON"), Encode(tv, "power", """{"state":"on"}"""));
        Assert.Equal(("cmnd/tv/DIMMER", "40"), Encode(tv, "dimmer", """{"value":40}"""));
        Assert.Equal(("zigbee2mqtt/desk_lamp/set", """{"state":"TOGGLE"}"""), Encode(lamp, "power", """{"state":"toggle"}"""));
        Assert.Equal(("zigbee2mqtt/desk_lamp/set", """{"brightness":128}"""), Encode(lamp, "brightness", """{"value":128}"""));
        Assert.Equal(("home/thermostat/cmd", """{"action":"set_target","params":{"celsius":21.5}}"""), Encode(json, "set_target", """{"celsius":21.5}"""));
    }

    [Fact]
    public void Options_errors_name_their_keys()
    {
        var options = new MqttBridgeOptions
        {
            Host = "",
            Port = 0,
            Password = "secret",
            Devices =
            {
                ["Living Room"] = new MqttDeviceOptions(),
                ["thermostat"] = new MqttDeviceOptions { Style = MqttDeviceStyle.Json },
                ["fan"] = new MqttDeviceOptions { Topic = "zigbee2mqtt/+" },
            },
        };
        string[] errors = [.. options.FindErrors("Meowstik:Iot:Mqtt")];
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Mqtt:Host is empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Mqtt:Port is 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Mqtt:Password is set without", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Mqtt:Devices:Living Room:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Mqtt:Devices:thermostat: Style Json needs", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Mqtt:Devices:fan:Topic", StringComparison.Ordinal));
        Assert.Contains(new MqttBridgeOptions().FindErrors("s"), e => e.StartsWith("s:Devices is empty", StringComparison.Ordinal));
        Assert.Equal("127.0.0.1", new MqttBridgeOptions().Host); // no remote default
    }

    private static (string Topic, string Payload) Encode(MqttTarget target, string action, string parameters)
    {
        Assert.True(MqttTopics.TryEncode(target, action, JsonDocument.Parse(parameters).RootElement, out string topic, out byte[] payload, out string? error), error);
        return (topic, System.Text.Encoding.UTF8.GetString(payload));
    }
}
