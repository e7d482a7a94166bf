using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Openpilot.Tests;

/// <summary>
/// A fake msgq folder (ring files written as openpilot writes them) → a Comma agent hosted with <c>AddOpenpilot</c> → a real
/// hub over WebSockets → a controller's <c>openpilot.state</c> query and <c>openpilot.subscribe</c> stream.
/// </summary>
public sealed class OpenpilotEndToEndTests : IAsyncLifetime
{
    private readonly string _shm = Path.Combine(Path.GetTempPath(), $"meowstik-openpilot-e2e-{Guid.NewGuid():N}");
    private readonly List<MsgqTestQueue> _queues = [];
    private MeshTestHub _hub = null!;
    private IHost _car = null!;
    private MeshAgent _phone = null!;

    public async Task InitializeAsync()
    {
        foreach ((string service, string vector) in new[]
        {
            ("carState", "2026-06_carState"),
            ("selfdriveState", "2026-06_selfdriveState_engaged"),
            ("driverMonitoringState", "2026-06_driverMonitoringState_alert"),
            ("gpsLocationExternal", "2026-06_gpsLocationExternal"),
        })
        {
            var queue = new MsgqTestQueue(Path.Combine(_shm, "msgq_" + service), dataSize: 64 * 1024);
            queue.Send(Capnp.Vector(vector));
            _queues.Add(queue);
        }

        _hub = await MeshTestHub.StartAsync();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = _hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "comma3x-001",
            ["Meowstik:Agent:DeviceType"] = "vehicle",
            ["Meowstik:Agent:Token"] = await _hub.IssueDeviceTokenAsync("comma3x-001"),
            ["Meowstik:Openpilot:MsgqRoot"] = _shm,
            ["Meowstik:Openpilot:Prefix"] = "",
            ["Meowstik:Openpilot:PollInterval"] = "00:00:00.010",
            ["Meowstik:Openpilot:StaleAfter"] = "01:00:00",
            ["Meowstik:Openpilot:StreamMaxRateHz"] = "20",
        });
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddOpenpilot(builder.Configuration.GetSection(OpenpilotOptions.SectionName));
        _car = builder.Build();
        await _car.StartAsync();
        await _car.Services.GetRequiredService<MeshAgent>().WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        _phone = await _hub.StartControllerAsync("phone-001", "Jason");
    }

    public async Task DisposeAsync()
    {
        await _car.StopAsync();
        _car.Dispose();
        await _hub.DisposeAsync();
        _queues.ForEach(q => q.Dispose());
        Directory.Delete(_shm, recursive: true);
    }

    private async Task<JsonElement> StateWhenRead()
    {
        // The agent polls every 10 ms; its first poll may come a moment after it is online.
        for (int i = 0; ; i++)
        {
            try
            {
                MeshReply reply = await _phone.QueryAsync("comma3x-001", "openpilot.state", timeout: TimeSpan.FromSeconds(10));
                JsonElement s = reply.Result;
                if (s.GetProperty("gps").GetProperty("fix").ValueKind != JsonValueKind.Null && s.GetProperty("engaged").ValueKind != JsonValueKind.Null
                    && s.GetProperty("speed_mph").ValueKind != JsonValueKind.Null && s.GetProperty("driver_attention").GetString() != "unknown")
                {
                    return s;
                }
            }
            catch (MeshRequestException e) when (e.Code == OpenpilotCapability.UnavailableError && i < 200)
            {
            }

            Assert.True(i < 200, "the agent never read all four queues");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_controller_s_status_query_returns_the_vectors_values_and_the_stream_follows_the_queue()
    {
        JsonElement s = await StateWhenRead();
        Assert.Equal(65.0, s.GetProperty("speed_mph").GetDouble());
        Assert.True(s.GetProperty("engaged").GetBoolean());
        Assert.True(s.GetProperty("active").GetBoolean());
        Assert.True(s.GetProperty("cruise_enabled").GetBoolean());
        Assert.Equal("alert", s.GetProperty("driver_attention").GetString());
        Assert.Equal(47.1234, s.GetProperty("gps").GetProperty("lat").GetDouble());
        Assert.Equal(-122.5678, s.GetProperty("gps").GetProperty("lng").GetDouble());

        // The same values in process, for the app on the device (the Comma3x sample's status).
        OpenpilotState latest = _car.Services.GetRequiredService<OpenpilotCapability>().Latest;
        Assert.Equal((65.0, true, "alert"), (Math.Round(latest.SpeedMph!.Value, 2), latest.Engaged!.Value, latest.DriverAttention));

        // Subscribe through the hub; then openpilot publishes a slower car and a distracted driver.
        using MeshSubscription<MeshStreamChunk> stream = _phone.SubscribeStream("comma3x-001", OpenpilotCapability.StreamType);
        await _phone.SendCommandAsync(DeviceId.Hub, "subscribe_stream", MeshJson.Object(w => { w.WriteString("device_id", "comma3x-001"); w.WriteString("stream_type", "openpilot"); }), TimeSpan.FromSeconds(10));
        MeshReply sub = await _phone.SendCommandAsync("comma3x-001", "openpilot.subscribe", MeshJson.Object(w => w.WriteNumber("rate_hz", 20)), TimeSpan.FromSeconds(10));
        Assert.True(sub.Result.GetProperty("subscribed").GetBoolean());
        _queues[0].Send(Capnp.Vector("2025-09_carState"));
        _queues[2].Send(Capnp.Vector("2026-06_driverMonitoringState_distracted"));

        JsonElement? last = null;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await foreach (MeshStreamChunk chunk in stream.WithCancellation(timeout.Token))
            {
                Assert.Equal(("comma3x-001", "openpilot", "json"), (chunk.From, chunk.StreamType, chunk.Codec));
                last = JsonDocument.Parse(chunk.Data).RootElement;
                if (last.Value.GetProperty("speed_mph").GetDouble() == 60.0 && last.Value.GetProperty("driver_attention").GetString() == "distracted")
                {
                    break;
                }
            }
        }

        Assert.Equal(60.0, last!.Value.GetProperty("speed_mph").GetDouble());
        Assert.Equal("distracted", last.Value.GetProperty("driver_attention").GetString());
        MeshReply stopped = await _phone.SendCommandAsync("comma3x-001", "openpilot.subscribe", MeshJson.Object(w => w.WriteBoolean("stop", true)), TimeSpan.FromSeconds(10));
        Assert.True(stopped.Result.GetProperty("stopped").GetBoolean());

        MeshReply capabilities = await _phone.QueryAsync("hub", "get_capabilities", MeshJson.Object(w => w.WriteString("device_id", "comma3x-001")));
        Assert.Equal(["openpilot.state", "openpilot.subscribe", "openpilot.unsubscribe"],
            capabilities.Result.GetProperty("actions").GetProperty("openpilot").EnumerateArray().Select(a => a.GetString()!).Order());
    }
}
