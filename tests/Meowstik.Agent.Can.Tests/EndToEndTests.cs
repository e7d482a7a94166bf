using System.Text.Json;
using Meowstik.Agent.Testing;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meowstik.Agent.Can.Tests;

/// <summary>
/// A car agent with the CAN plugin (a looping candump replay at recorded speed, decoded with a DBC) and a controller agent,
/// both connected to a real hub over loopback WebSockets: can.subscribe streams decoded signals and raw frames to the
/// controller, can.stats answers a query, can.send refuses what is not allowed.
/// </summary>
public sealed class EndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private MeshTestHub _hub = null!;
    private IHost _car = null!;
    private MeshAgent _controller = null!;
    private Task _controllerRun = null!;
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync()
    {
        _hub = await MeshTestHub.StartAsync();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = _hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "car-001",
            ["Meowstik:Agent:DeviceType"] = "vehicle",
            // The car aims its chunks at the requester: its token needs a grant for it (the hub refuses streams aimed at others).
            ["Meowstik:Agent:Token"] = await _hub.IssueDeviceTokenAsync("car-001", "phone-001"),
            ["Meowstik:Can:Source"] = "Replay",
            ["Meowstik:Can:ReplayFile"] = Path.Combine(DbcDecodeTests.DataDir, "drive.candump"),
            ["Meowstik:Can:ReplayLoop"] = "true",
            ["Meowstik:Can:DbcFile"] = Path.Combine(DbcDecodeTests.DataDir, "vehicle.dbc"),
            ["Meowstik:Can:SendAllowList:0"] = "123",
        });
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddCan(builder.Configuration.GetSection(CanOptions.SectionName));
        _car = builder.Build();
        await _car.StartAsync();

        _controller = new MeshAgent(new MeshAgentOptions { HubUri = _hub.MeshUri, DeviceId = "phone-001", Token = await _hub.IssueCreatorTokenAsync("Jason") }, []);
        _controllerRun = _controller.RunAsync(_stop.Token);
        await _controller.WaitUntilOnlineAsync(_stop.Token).WaitAsync(Wait);
        await _car.Services.GetRequiredService<MeshAgent>().WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(Wait);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _controllerRun.WaitAsync(Wait);
        await _controller.DisposeAsync();
        await _car.StopAsync();
        _car.Dispose();
        await _hub.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task A_controller_subscribes_receives_decoded_signals_and_raw_frames_and_reads_stats_over_real_websockets()
    {
        using MeshSubscription<MeshStreamChunk> stream = _controller.SubscribeStream("car-001", CanCapability.StreamType);

        MeshReply subscribed = await _controller.SendCommandAsync("car-001", "can.subscribe",
            MeshJson.Object(w =>
            {
                w.WriteStartArray("ids");
                w.WriteStringValue("100");
                w.WriteStringValue("0CFE4EE0");
                w.WriteEndArray();
                w.WriteNumber("max_rate_hz", 100);
                w.WriteString("deliver", "direct");
            }), Wait);
        Assert.Equal("can", subscribed.Result.GetProperty("stream_type").GetString());

        // Decoded signals from both messages, the hand-checked values among them.
        var seen = new Dictionary<string, double>();
        using (var timeout = new CancellationTokenSource(Wait))
        {
            await foreach (MeshStreamChunk chunk in stream.WithCancellation(timeout.Token))
            {
                Assert.Equal(("car-001", "can", "json"), (chunk.From, chunk.StreamType, chunk.Codec));
                JsonElement data = JsonDocument.Parse(chunk.Data).RootElement;
                foreach (JsonProperty p in data.GetProperty("signals").EnumerateObject())
                {
                    seen[p.Name] = p.Value.GetDouble();
                }

                if (seen.ContainsKey("EngineSpeed") && seen.ContainsKey("BatteryVoltage") && seen.ContainsKey("OdometerKm"))
                {
                    break;
                }
            }
        }

        Assert.Equal(3000, seen["EngineSpeed"]);
        Assert.Equal(-100, seen["EngineTorque"]);
        Assert.Equal(14.0, seen["BatteryVoltage"], 9);
        Assert.Equal(100.0, seen["OdometerKm"], 9);
        Assert.DoesNotContain("WheelSpeedFL", seen.Keys);          // 0x200 was not asked for

        // The log ends with an error frame: once a pass has replayed (70 ms), stats count it.
        MeshReply stats = await _controller.QueryAsync("car-001", "can.stats", timeout: Wait);
        for (int i = 0; i < 100 && stats.Result.GetProperty("error_frames").GetInt64() == 0; i++)
        {
            await Task.Delay(50);
            stats = await _controller.QueryAsync("car-001", "can.stats", timeout: Wait);
        }

        Assert.True(stats.Result.GetProperty("frames").GetInt64() > 0);
        Assert.True(stats.Result.GetProperty("error_frames").GetInt64() > 0);
        Assert.True(stats.Result.GetProperty("frames_per_second").GetDouble() >= 0);
        Assert.Equal("can0", stats.Result.GetProperty("interface").GetString());

        MeshReply unsubscribed = await _controller.SendCommandAsync("car-001", "can.unsubscribe", timeout: Wait);
        Assert.Equal(1, unsubscribed.Result.GetProperty("removed").GetInt32());

        // can.send: the spoofed extended id is refused with its typed error, over the wire too.
        MeshRequestException refused = await Assert.ThrowsAsync<MeshRequestException>(() => _controller.SendCommandAsync("car-001", "can.send",
            MeshJson.Object(w => { w.WriteString("id", "00000123"); w.WriteString("data", "00"); }), Wait));
        Assert.Contains(CanErrorCodes.IdNotAllowed, refused.Message + refused.Code);
    }

    [Fact]
    public async Task A_raw_subscription_delivered_through_the_hub_streams_candump_lines_to_its_stream_subscribers()
    {
        using MeshSubscription<MeshStreamChunk> stream = _controller.SubscribeStream("car-001", CanCapability.StreamType);
        MeshReply atHub = await _controller.SendCommandAsync(DeviceId.Hub, "subscribe_stream",
            MeshJson.Object(w => { w.WriteString("device_id", "car-001"); w.WriteString("stream_type", CanCapability.StreamType); }), Wait);
        Assert.True(atHub.Result.GetProperty("subscribed").GetBoolean());
        await _controller.SendCommandAsync("car-001", "can.subscribe",
            MeshJson.Object(w => { w.WriteString("mode", "raw"); w.WriteString("deliver", "hub"); w.WriteNumber("max_rate_hz", 100); }), Wait);
        var lines = new HashSet<string>();
        using var timeout = new CancellationTokenSource(Wait);
        await foreach (MeshStreamChunk chunk in stream.WithCancellation(timeout.Token))
        {
            Assert.Equal("candump", chunk.Codec);
            lines.Add(System.Text.Encoding.ASCII.GetString(chunk.Data.Span).Split(' ')[2]);
            if (lines.Contains("321#R") && lines.Contains("20000080#0000000000000000") && lines.Contains("0CFE4EE0#01B0360DF6000000"))
            {
                break;
            }
        }

        Assert.Contains("0CFE4EE0#01B0360DF6000000", lines);
    }
}
