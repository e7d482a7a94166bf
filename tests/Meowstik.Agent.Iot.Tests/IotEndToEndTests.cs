using System.Device.I2c;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Iot.Tests;

/// <summary>
/// A home server hosted with <c>AddMqttBridge</c> and <c>AddSensors</c> from configuration, a real hub, a real mosquitto
/// with a simulated Tasmota TV, and controllers over real WebSockets: one sends the design document's proxy command as raw
/// JSON, one is a MeshAgent.
/// </summary>
public sealed class IotEndToEndTests
{
    [MosquittoFact]
    public async Task A_controller_proxies_the_documents_command_through_a_real_hub_and_gets_the_state()
    {
        await using MosquittoBroker broker = await MosquittoBroker.StartAsync();
        await using SimulatedSubDevice tv = await MqttBridgeTests.StartTvAsync(broker.Port);
        await using MeshTestHub hub = await MeshTestHub.StartAsync();

        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "home-001",
            ["Meowstik:Agent:DeviceType"] = "home_server",
            ["Meowstik:Agent:Token"] = await hub.IssueDeviceTokenAsync("home-001"),
            ["Meowstik:Iot:Mqtt:Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Meowstik:Iot:Mqtt:ReconnectInitialDelay"] = "00:00:00.1",
            ["Meowstik:Iot:Mqtt:Devices:living_room_tv:Style"] = "Tasmota",
            ["Meowstik:Iot:Mqtt:Devices:living_room_tv:Topic"] = "tv",
            ["Meowstik:Iot:Sensors:Address"] = "118",
            ["Meowstik:Iot:Sensors:Interval"] = "00:00:00",
        });
        builder.Services.AddSingleton<Func<I2cConnectionSettings, I2cDevice>>(settings => new SimulatedBme280(settings));
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddMqttBridge(builder.Configuration.GetSection(MqttBridgeOptions.SectionName))
            .AddSensors(builder.Configuration.GetSection(SensorOptions.SectionName));
        using IHost home = builder.Build();
        await home.StartAsync();
        try
        {
            await home.Services.GetRequiredService<MeshAgent>().WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));
            await home.Services.GetRequiredService<MqttBridgeCapability>().WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(15));

            // The design document's proxy command, as raw JSON over a WebSocket.
            await using (var controller = await RawController.ConnectAsync(hub, await hub.IssueCreatorTokenAsync("Jason"), "phone-001"))
            {
                JsonElement response = await controller.RequestAsync(
                    """{"id":"cmd-1","type":"command","to":"home-001","payload":{"action":"proxy","target":"living_room_tv","command":{"action":"power","params":{"state":"on"}}}}""",
                    "cmd-1");

                Assert.Equal("response", response.GetProperty("type").GetString());
                Assert.Equal("home-001", response.GetProperty("from").GetString());
                string body = response.GetProperty("payload").GetRawText();
                Assert.Contains("\"POWER\":\"ON\"", body);
                Assert.Contains("\"target\":\"living_room_tv\"", body);
                Assert.Contains(("cmnd/tv/POWER", "ON"), tv.Received);
            }

            // A MeshAgent controller: params carry target and command; queries read the state and the sensor.
            MeshAgent phone = await hub.StartControllerAsync("phone-002", "Jason");

            MeshReply off = await phone.SendCommandAsync("home-001", "proxy",
                MeshJson.Raw("""{"target":"living_room_tv","command":{"action":"power","params":{"state":"off"}}}"""), TimeSpan.FromSeconds(15));
            Assert.Equal("OFF", off.Result.GetProperty("state").GetProperty("POWER").GetString());

            MeshReply state = await phone.QueryAsync("home-001", "proxy.state", MeshJson.Raw("""{"target":"living_room_tv"}"""), TimeSpan.FromSeconds(15));
            Assert.Equal("OFF", state.Result.GetProperty("state").GetProperty("POWER").GetString());

            MeshReply reading = await phone.QueryAsync("home-001", "sensor.read", timeout: TimeSpan.FromSeconds(15));
            Assert.Equal(25.08, reading.Result.GetProperty("temperature_c").GetDouble());
            Assert.Equal(1006.533, reading.Result.GetProperty("pressure_hpa").GetDouble());

            MeshRequestException e = await Assert.ThrowsAsync<MeshRequestException>(() => phone.SendCommandAsync("home-001", "proxy",
                MeshJson.Raw("""{"target":"garage_door","command":{"action":"open"}}"""), TimeSpan.FromSeconds(15)));
            Assert.Equal(MqttBridgeCapability.UnknownTargetError, e.Code);
        }
        finally
        {
            await home.StopAsync();
        }
    }

    /// <summary>A controller speaking the wire protocol itself, for payload fields MeshAgent does not send (target, command).</summary>
    private sealed class RawController : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;

        private RawController(ClientWebSocket socket)
        {
            _socket = socket;
        }

        public static async Task<RawController> ConnectAsync(MeshTestHub hub, string token, string deviceId)
        {
            var socket = new ClientWebSocket();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await socket.ConnectAsync(hub.WebSocketUri(token: token), timeout.Token);
            var controller = new RawController(socket);
            JsonElement registered = await controller.RequestAsync($$$"""{"id":"reg","type":"register","from":"{{{deviceId}}}","payload":{"capabilities":[]}}""", "reg");
            Assert.Equal("registered", registered.GetProperty("payload").GetProperty("status").GetString());
            return controller;
        }

        /// <summary>Sends a message and returns the message answering it (by correlation_id), skipping others (presence events).</summary>
        public async Task<JsonElement> RequestAsync(string json, string id)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, timeout.Token);
            byte[] buffer = new byte[256 * 1024];
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                using JsonDocument message = JsonDocument.Parse(buffer.AsMemory(0, length));
                if (message.RootElement.TryGetProperty("correlation_id", out JsonElement c) && c.GetString() == id)
                {
                    return message.RootElement.Clone();
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }

            _socket.Dispose();
        }
    }
}
