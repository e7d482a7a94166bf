using System.Globalization;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Protocol;
using Meowstik.Agent.Openpilot.Tests;

namespace Meowstik.Samples.Tests;

/// <summary>
/// Each sample as a standalone process against a real hub (<see cref="MeshTestHub"/>, loopback WebSockets), configured
/// the way a device maker would: command-line switches and environment variables. It must register on its document path
/// and answer its main command; SIGTERM stops it with exit code 0.
/// </summary>
public sealed class SampleProcessTests : IAsyncLifetime
{
    // Longer when a sample runs under an emulator (MEOWSTIK_SAMPLE_LAUNCHER=qemu-aarch64: see SampleProcess).
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(Environment.GetEnvironmentVariable("MEOWSTIK_SAMPLE_LAUNCHER") is null ? 30 : 120);
    private MeshTestHub _hub = null!;
    private MeshAgent _controller = null!;

    private string HubAddress => _hub.BaseUri.ToString().TrimEnd('/');   // http://127.0.0.1:port: the sample makes it ws://

    public async Task InitializeAsync()
    {
        _hub = await MeshTestHub.StartAsync();
        _controller = await _hub.StartControllerAsync("controller-001", "Jason");
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Comma3x_registers_on_the_vehicle_path_answers_status_navigate_and_record_moment_and_keeps_control_within_limits()
    {
        string token = await _hub.IssueDeviceTokenAsync("car-042");
        await using SampleProcess car = SampleProcess.Start("Comma3x", ["--hub", HubAddress, "--token", token, "--id", "car-042"],
            new Dictionary<string, string>
            {
                ["Comma3x__Control__Enabled"] = "true",
                ["Comma3x__Control__MaxChangeMph"] = "15",
                ["Meowstik__Can__SendAllowList__0"] = "321",   // the CAN plugin's own allow-list applies to control frames too
            });
        await car.WaitForOutputAsync("Comma3x online as car-042", Wait);

        DeviceState state = _hub.Hub.GetDeviceState("car-042")!;
        Assert.Equal(MeshPathKind.Vehicle, state.Registration.PathKind);
        Assert.Equal("vehicle", state.Registration.DeviceType);
        Assert.Equal(["can", "gps", "vehicle", "speed", "can_bus"], state.Registration.Capabilities);

        JsonElement status = await StatusWithDataAsync("car-042");
        Assert.Equal(["gps", "speed_mph", "eta_minutes", "destination", "engaged", "driver_attention"], status.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["lat", "lng"], status.GetProperty("gps").EnumerateObject().Select(p => p.Name));
        Assert.InRange(status.GetProperty("gps").GetProperty("lat").GetDouble(), 47.0, 47.2);
        Assert.InRange(status.GetProperty("speed_mph").GetDouble(), 45, 70);   // the bundled drive: 50-66 mph

        JsonElement nav = (await _controller.SendCommandAsync("car-042", "navigate",
            MeshJson.Object(w => { w.WriteString("destination", "Ocean Shores Tech"); }), Wait)).Result;
        Assert.InRange(nav.GetProperty("distance_mi").GetDouble(), 60, 80);
        Assert.InRange(nav.GetProperty("eta_minutes").GetDouble(), 55, 110);
        status = (await _controller.QueryAsync("car-042", "status", timeout: Wait)).Result;
        Assert.Equal("Ocean Shores Tech", status.GetProperty("destination").GetString());

        MeshRequestException unknown = await Assert.ThrowsAsync<MeshRequestException>(() =>
            _controller.SendCommandAsync("car-042", "navigate", MeshJson.Object(w => w.WriteString("destination", "Atlantis")), Wait));
        Assert.Equal("unknown_place", unknown.Code);

        JsonElement moment = (await _controller.SendCommandAsync("car-042", "record_moment", timeout: Wait)).Result;
        Assert.Equal(JsonValueKind.Null, moment.GetProperty("snapshot").ValueKind);
        Assert.StartsWith("simulation: no camera", moment.GetProperty("snapshot_reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, moment.GetProperty("gps").ValueKind);

        MeshRequestException tooFast = await Assert.ThrowsAsync<MeshRequestException>(() =>
            _controller.SendCommandAsync("car-042", "vehicle.set_cruise_speed", MeshJson.Object(w => w.WriteNumber("speed_mph", 95)), Wait));
        Assert.Equal("control_limit", tooFast.Code);
        Assert.Contains("MaxCruiseSpeedMph", tooFast.Message, StringComparison.Ordinal);
        double now = (await StatusWithDataAsync("car-042")).GetProperty("speed_mph").GetDouble();
        JsonElement set = (await _controller.SendCommandAsync("car-042", "vehicle.set_cruise_speed",
            MeshJson.Object(w => w.WriteNumber("speed_mph", Math.Clamp(Math.Round(now), 20, 70))), Wait)).Result;
        Assert.True(set.GetProperty("accepted").GetBoolean());
        Assert.False(set.GetProperty("sent").GetBoolean());                 // a replayed bus cannot send: said so
        Assert.StartsWith("simulation:", set.GetProperty("reason").GetString(), StringComparison.Ordinal);

        Assert.Equal(0, await car.StopAsync(Wait));
        Assert.False(_hub.Hub.IsOnline("car-042"));
    }

    [Fact]
    public async Task HomeServer_registers_on_the_homeserver_path_and_proxies_the_documents_tv_command_to_a_simulated_device()
    {
        string token = await _hub.IssueDeviceTokenAsync("homeserver-007");
        await using SampleProcess home = SampleProcess.Start("HomeServer", ["--hub", HubAddress, "--id", "homeserver-007"],
            new Dictionary<string, string> { ["Mesh__Token"] = token });
        await home.WaitForOutputAsync("HomeServer online as homeserver-007", Wait);
        Assert.Equal(MeshPathKind.HomeServer, _hub.Hub.GetDeviceState("homeserver-007")!.Registration.PathKind);

        JsonElement lights = await ProxyAsync("homeserver-007", """{"target":"living-room-lights","command":{"action":"set","params":{"state":"ON","brightness":120}}}""");
        Assert.Equal(("ON", 120), (lights.GetProperty("state").GetProperty("state").GetString(), lights.GetProperty("state").GetProperty("brightness").GetInt32()));

        // The document's example as written (target and command beside the action, not in params), sent on a raw socket.
        JsonElement answer = await SendRawAsync(
            """{"id":"msg_tv_on","type":"command","from":"raw-controller","to":"homeserver-007","payload":{"action":"proxy","target":"living-room-tv","command":{"action":"power","params":{"state":"on"}}}}""",
            "msg_tv_on");
        Assert.Equal("response", answer.GetProperty("type").GetString());
        string tv = answer.GetProperty("payload").GetRawText();
        Assert.Contains("\"target\":\"living-room-tv\"", tv, StringComparison.Ordinal);
        Assert.Contains("\"POWER\":\"ON\"", tv, StringComparison.Ordinal);

        JsonElement sensor = (await _controller.QueryAsync("homeserver-007", "sensor.read", timeout: Wait)).Result;
        Assert.Equal(25.08, sensor.GetProperty("temperature_c").GetDouble(), 2);   // the simulated BME280: the datasheet's example
        JsonElement porch = (await _controller.SendCommandAsync("homeserver-007", "gpio.write",
            MeshJson.Object(w => { w.WriteString("pin", "porch_light"); w.WriteNumber("value", 1); }), Wait)).Result;
        Assert.Equal("high", porch.GetProperty("level").GetString());

        Assert.Equal(0, await home.StopAsync(Wait));
    }

    [Fact]
    public async Task Alexa_speaks_the_documents_text_into_a_wav_file_and_reports_its_duration()
    {
        string token = await _hub.IssueDeviceTokenAsync("alexa-009");
        string folder = Directory.CreateTempSubdirectory("meowstik-alexa-test-").FullName;
        try
        {
            await using SampleProcess alexa = SampleProcess.Start("Alexa", ["--hub", HubAddress, "--token", token, "--id", "alexa-009", "--Alexa:SpeechFolder=" + folder]);
            await alexa.WaitForOutputAsync("Alexa online as alexa-009", Wait);
            JsonElement spoken = (await _controller.SendCommandAsync("alexa-009", "speak", MeshJson.Object(w =>
            {
                w.WriteString("text", "Jason, wake up. You have a meeting in 15 minutes.");
                w.WriteNumber("volume", 80);
            }), Wait)).Result;
            Assert.InRange(spoken.GetProperty("duration_ms").GetInt64(), 1500, 10000);   // ten words
            Assert.Equal(80, spoken.GetProperty("volume").GetInt32());
            string file = spoken.GetProperty("file").GetString()!;
            Assert.StartsWith(folder, file, StringComparison.Ordinal);
            byte[] wav = await File.ReadAllBytesAsync(file);
            Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(wav, 0, 4));
            Assert.Equal(0, await alexa.StopAsync(Wait));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_token_is_a_clear_configuration_error_and_a_rejected_one_exits_with_2()
    {
        await using (SampleProcess noToken = SampleProcess.Start("Comma3x", ["--hub", HubAddress, "--token", ""]))
        {
            Assert.Equal(1, await noToken.WaitForExitAsync(Wait));
            Assert.Contains("Mesh:Token is not set", noToken.Errors, StringComparison.Ordinal);
        }

        await using SampleProcess rejected = SampleProcess.Start("Alexa", ["--hub", HubAddress, "--token", "not-a-token"]);
        Assert.Equal(2, await rejected.WaitForExitAsync(Wait));
        Assert.Contains("rejected", rejected.Errors, StringComparison.Ordinal);
    }

    /// <summary>A creator connection speaking the wire protocol by hand: register, send one envelope, return the answer to it.</summary>
    private async Task<JsonElement> SendRawAsync(string envelope, string id)
    {
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        using var timeout = new CancellationTokenSource(Wait);
        await socket.ConnectAsync(_hub.WebSocketUri(token: await _hub.IssueCreatorTokenAsync("raw")), timeout.Token);
        await SendTextAsync(socket, """{"id":"reg","type":"register","from":"raw-controller","payload":{"device_type":"desktop","capabilities":[]}}""", timeout.Token);
        await ReceiveAsync(socket, "reg", timeout.Token);
        await SendTextAsync(socket, envelope, timeout.Token);
        JsonElement answer = await ReceiveAsync(socket, id, timeout.Token);
        await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        return answer;

        static Task SendTextAsync(System.Net.WebSockets.ClientWebSocket socket, string json, CancellationToken ct) =>
            socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(json), System.Net.WebSockets.WebSocketMessageType.Text, true, ct);

        static async Task<JsonElement> ReceiveAsync(System.Net.WebSockets.ClientWebSocket socket, string correlationId, CancellationToken ct)
        {
            var buffer = new byte[256 * 1024];
            while (true)
            {
                int length = 0;
                System.Net.WebSockets.ValueWebSocketReceiveResult r;
                do
                {
                    r = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
                    length += r.Count;
                }
                while (!r.EndOfMessage);
                using JsonDocument doc = JsonDocument.Parse(buffer.AsMemory(0, length));
                if (doc.RootElement.TryGetProperty("correlation_id", out JsonElement c) && c.GetString() == correlationId)
                {
                    return doc.RootElement.Clone();
                }
            }
        }
    }

    [Fact]
    public async Task Comma3x_on_a_comma_device_answers_the_documents_status_from_openpilots_msgq_queues()
    {
        // A fake /dev/shm: one msgq queue per service, each holding one real openpilot message (the 2026-06 vectors).
        string root = Directory.CreateTempSubdirectory("meowstik-msgq-").FullName;
        try
        {
            foreach ((string service, string vector) in new[]
            {
                ("carState", "2026-06_carState"),
                ("selfdriveState", "2026-06_selfdriveState_engaged"),
                ("driverMonitoringState", "2026-06_driverMonitoringState_alert"),
                ("gpsLocationExternal", "2026-06_gpsLocationExternal"),
            })
            {
                using var queue = new MsgqTestQueue(Path.Combine(root, "msgq_" + service));
                queue.Send(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "openpilot-vectors", vector + ".bin")));
            }

            string token = await _hub.IssueDeviceTokenAsync("comma-op");
            await using SampleProcess car = SampleProcess.Start("Comma3x", ["--hub", HubAddress, "--token", token, "--id", "comma-op"],
                new Dictionary<string, string>
                {
                    ["Meowstik__Openpilot__MsgqRoot"] = root,
                    ["Meowstik__Openpilot__Prefix"] = "",
                    ["Meowstik__Openpilot__StaleAfter"] = "01:00:00",   // each queue holds one message, published once
                });
            await car.WaitForOutputAsync("Comma3x online as comma-op", Wait);
            Assert.Contains("openpilot", _hub.Hub.GetDeviceState("comma-op")!.Registration.Capabilities);

            JsonElement status = await StatusWithDataAsync("comma-op");
            Assert.Equal(["gps", "speed_mph", "eta_minutes", "destination", "engaged", "driver_attention"], status.EnumerateObject().Select(p => p.Name));
            Assert.Equal(65, status.GetProperty("speed_mph").GetDouble(), 0.5);   // vEgo 29.0576 m/s
            Assert.Equal(47.1234, status.GetProperty("gps").GetProperty("lat").GetDouble(), 4);
            Assert.Equal(-122.5678, status.GetProperty("gps").GetProperty("lng").GetDouble(), 4);
            Assert.True(status.GetProperty("engaged").GetBoolean());
            Assert.Equal("alert", status.GetProperty("driver_attention").GetString());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task<JsonElement> StatusWithDataAsync(string car)
    {
        DateTime end = DateTime.UtcNow + Wait;
        while (true)
        {
            JsonElement s = (await _controller.QueryAsync(car, "status", timeout: Wait)).Result;
            if (s.GetProperty("gps").ValueKind == JsonValueKind.Object && s.GetProperty("speed_mph").ValueKind == JsonValueKind.Number)
            {
                return s;
            }

            Assert.True(DateTime.UtcNow < end, "no GPS fix or CAN speed: " + s.GetRawText());
            await Task.Delay(100);
        }
    }

    private async Task<JsonElement> ProxyAsync(string server, string command)
    {
        DateTime end = DateTime.UtcNow + Wait;
        while (true)
        {
            try
            {
                return (await _controller.SendCommandAsync(server, "proxy", MeshJson.Raw(command), Wait)).Result;
            }
            catch (MeshRequestException e) when (e.Code == "broker_unavailable" && DateTime.UtcNow < end)
            {
                await Task.Delay(100);   // the bridge connects right after start; nothing is queued meanwhile
            }
        }
    }
}
