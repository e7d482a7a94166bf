using System.Text.Json;
using Meowstik.Agent.Openpilot.Zmq;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Openpilot.Tests;

/// <summary>A source fed by the test (the capability's own behaviour is under test, not a transport).</summary>
internal sealed class NoSource : IOpenpilotSource
{
    public string Description => "test";

    public IReadOnlyList<string> Services => ["carState"];

    public Task RunAsync(OpenpilotMessageHandler onMessage, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
}

public sealed class OpenpilotCapabilityTests
{
    private static void Feed(OpenpilotCapability capability, params string[] vectors)
    {
        foreach (string v in vectors)
        {
            Assert.Equal(CapnpError.None, capability.Ingest(v, Capnp.Vector(v)));
        }
    }

    [Fact]
    public async Task State_combines_the_services_in_the_document_s_shape()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var capability = new OpenpilotCapability(new NoSource(), timeProvider: time);
        await using var h = new CapabilityHarness([capability], new CapabilityHarnessOptions { Time = time });
        Feed(capability, "2026-06_carState", "2026-06_selfdriveState_alert", "2026-06_driverMonitoringState_distracted", "2026-06_gpsLocationExternal", "2026-06_gpsLocation_nofix");

        CommandResult result = await h.QueryAsync("openpilot.state");
        Assert.True(result.IsSuccess, result.ErrorMessage);
        JsonElement s = result.Result.ToElement();
        Assert.Equal(29.058, s.GetProperty("speed_mps").GetDouble());
        Assert.Equal(65.0, s.GetProperty("speed_mph").GetDouble());
        Assert.True(s.GetProperty("cruise_enabled").GetBoolean());
        Assert.Equal(70.0, s.GetProperty("cruise_speed_mph").GetDouble());
        Assert.False(s.GetProperty("engaged").GetBoolean());
        Assert.False(s.GetProperty("active").GetBoolean());
        Assert.Equal("disabled", s.GetProperty("state").GetString());
        Assert.Equal("TAKE CONTROL IMMEDIATELY", s.GetProperty("alert_text1").GetString());
        Assert.Equal("Steering Temporarily Unavailable", s.GetProperty("alert_text2").GetString());
        Assert.Equal("distracted", s.GetProperty("driver_attention").GetString());
        Assert.Equal("two", s.GetProperty("driver_alert_level").GetString());
        JsonElement gps = s.GetProperty("gps");
        Assert.True(gps.GetProperty("fix").GetBoolean()); // the external receiver has a fix; the device's own has none
        Assert.Equal(47.1234, gps.GetProperty("lat").GetDouble());
        Assert.Equal(-122.5678, gps.GetProperty("lng").GetDouble());
        Assert.Equal("gpsLocationExternal", gps.GetProperty("service").GetString());
        Assert.Equal("2026-01-19T12:00:00.000Z", gps.GetProperty("time").GetString());

        // The in-process snapshot says the same.
        OpenpilotState latest = capability.Latest;
        Assert.Equal(65.0, Math.Round(latest.SpeedMph!.Value, 2));
        Assert.Equal(("distracted", false), (latest.DriverAttention, latest.Engaged!.Value));
    }

    [Fact]
    public async Task Stale_services_become_unavailable_and_with_none_the_query_fails_typed()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var capability = new OpenpilotCapability(new NoSource(), new OpenpilotOptions { StaleAfter = TimeSpan.FromSeconds(2) }, timeProvider: time);
        await using var h = new CapabilityHarness([capability], new CapabilityHarnessOptions { Time = time });
        CommandResult none = await h.QueryAsync("openpilot.state");
        Assert.Equal(OpenpilotCapability.UnavailableError, none.ErrorCode);
        Assert.Contains("carState", none.ErrorMessage);

        Feed(capability, "2025-09_carState", "2025-09_driverMonitoringState");
        time.Advance(TimeSpan.FromSeconds(1));
        Feed(capability, "2025-09_selfdriveState");
        time.Advance(TimeSpan.FromSeconds(1.5));
        OpenpilotState state = capability.Latest;
        Assert.Null(state.SpeedMetersPerSecond);          // carState is 2.5 s old
        Assert.Equal("unknown", state.DriverAttention);   // so is driverMonitoringState
        Assert.True(state.Engaged);                        // selfdriveState is 1.5 s old
        Assert.False(state.Active);
        Assert.Null(state.GpsHasFix);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(OpenpilotCapability.UnavailableError, (await h.QueryAsync("openpilot.state")).ErrorCode);
    }

    [Fact]
    public void Old_layouts_and_controlsState_fall_back_but_selfdriveState_wins()
    {
        var capability = new OpenpilotCapability(new NoSource());
        Feed(capability, "2025-09_carState", "2025-09_driverMonitoringState", "2025-09_gpsLocationExternal");
        Assert.Equal(CapnpError.None, capability.Ingest("controlsState", Capnp.WrapEvent(6, 1, File.ReadAllBytes(Path.Combine(Capnp.VectorsDirectory, "controlsState_struct.bin")))));
        OpenpilotState s = capability.Latest;
        Assert.Equal(60.0, Math.Round(s.SpeedMph!.Value, 2));
        Assert.False(s.CruiseEnabled);
        Assert.Equal(("distracted", null, 0.42), (s.DriverAttention, s.DriverAlertLevel, s.DriverAwareness));
        Assert.Equal((true, true, "softDisabling", "Hello", "controlsState"), (s.Engaged!.Value, s.Active!.Value, s.ControlState, s.AlertText1, s.EngagementService));
        Assert.Equal((46.9784, -124.1566), (s.Latitude!.Value, s.Longitude!.Value));

        Feed(capability, "2026-06_selfdriveState_engaged", "2026-06_driverMonitoringState_alert", "2026-06_carState_invalid");
        s = capability.Latest;
        Assert.Equal((true, true, "enabled", null, "selfdriveState"), (s.Engaged!.Value, s.Active!.Value, s.ControlState, s.AlertText1, s.EngagementService));
        Assert.Equal(("alert", "none"), (s.DriverAttention, s.DriverAlertLevel));
        Assert.Equal((0.5, false), (s.SpeedMetersPerSecond!.Value, s.CarStateValid!.Value));
    }

    [Fact]
    public async Task A_corrupt_message_is_dropped_and_the_last_good_state_stays()
    {
        var capability = new OpenpilotCapability(new NoSource());
        Feed(capability, "2026-06_carState");
        Assert.Equal(CapnpError.Truncated, capability.Ingest("carState", Capnp.Vector("2026-06_carState")[..40]));
        Assert.Equal(65.0, Math.Round(capability.Latest.SpeedMph!.Value, 2));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Subscribe_streams_throttled_state_and_stops()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var capability = new OpenpilotCapability(new NoSource(), new OpenpilotOptions { StreamMaxRateHz = 5 }, timeProvider: time);
        await using var h = new CapabilityHarness([capability], new CapabilityHarnessOptions { Time = time });
        Feed(capability, "2026-06_carState");

        CommandResult asQuery = await h.QueryAsync("openpilot.subscribe");
        Assert.Equal(MeshErrorCodes.Forbidden, asQuery.ErrorCode);
        CommandResult bad = await h.CommandAsync("openpilot.subscribe", MeshJson.Raw("""{"rate_hz":"fast"}"""));
        Assert.Equal(OpenpilotCapability.InvalidParamsError, bad.ErrorCode);

        CommandResult ok = await h.CommandAsync("openpilot.subscribe", MeshJson.Raw("""{"rate_hz":50,"direct":true}"""));
        Assert.True(ok.IsSuccess, ok.ErrorMessage);
        Assert.Equal(5, ok.Result.ToElement().GetProperty("rate_hz").GetDouble()); // capped at StreamMaxRateHz

        for (int i = 0; i < 10; i++)
        {
            capability.PublishDue(h.Publisher);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        // 1 s at 5 Hz, published every 100 ms: every other tick.
        Assert.Equal(5, h.Publisher.StreamChunks.Count);
        OutgoingStreamChunk chunk = h.Publisher.StreamChunks[^1];
        Assert.Equal((OpenpilotCapability.StreamType, "json", "controller-001", 4L), (chunk.StreamType, chunk.Codec, chunk.To, chunk.ChunkIndex));
        Assert.Equal(65.0, JsonDocument.Parse(chunk.Data).RootElement.GetProperty("speed_mph").GetDouble());

        CommandResult stopped = await h.CommandAsync("openpilot.unsubscribe");
        Assert.True(stopped.Result.ToElement().GetProperty("stopped").GetBoolean());
        Assert.Empty(capability.Subscribers);
        capability.PublishDue(h.Publisher);
        Assert.Equal(5, h.Publisher.StreamChunks.Count);
        Assert.Equal(["openpilot.state"], h.Queries);
    }
}

/// <summary>AddOpenpilot / AddOpenpilotBridge: options bound from configuration and validated at start, naming the key.</summary>
public sealed class OpenpilotHostingTests
{
    private static IHost Build(Dictionary<string, string?> settings, bool bridge = false)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        settings["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:1/ws/mesh";
        settings["Meowstik:Agent:DeviceId"] = "comma3x-001";
        settings["Meowstik:Agent:Token"] = "mtk_test";
        builder.Configuration.AddInMemoryCollection(settings);
        IMeshAgentBuilder agent = builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName));
        if (bridge)
        {
            agent.AddOpenpilotBridge(builder.Configuration.GetSection(OpenpilotBridgeOptions.SectionName));
        }

        agent.AddOpenpilot(builder.Configuration.GetSection(OpenpilotOptions.SectionName));
        return builder.Build();
    }

    [Fact]
    public void Options_bind_and_the_msgq_source_follows_them()
    {
        using IHost host = Build(new()
        {
            ["Meowstik:Openpilot:MsgqRoot"] = "/tmp/fake-shm",
            ["Meowstik:Openpilot:Prefix"] = "sim",
            ["Meowstik:Openpilot:Services:0"] = "carState",
            ["Meowstik:Openpilot:StaleAfter"] = "00:00:05",
        });
        OpenpilotOptions o = host.Services.GetRequiredService<IOptions<OpenpilotOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(5), o.StaleAfter);
        var source = Assert.IsType<MsgqOpenpilotSource>(host.Services.GetRequiredService<IOpenpilotSource>());
        Assert.Equal("msgq /tmp/fake-shm (prefix sim)", source.Description);
        Assert.Equal(["carState"], source.Services);
        Assert.Contains(host.Services.GetServices<IMeshCapability>(), c => c.Name == "openpilot");
    }

    [Fact]
    public void The_bridge_replaces_the_msgq_source()
    {
        using IHost host = Build(new() { ["Meowstik:OpenpilotBridge:Host"] = "192.168.43.1", ["Meowstik:OpenpilotBridge:Ports:carState"] = "9999" }, bridge: true);
        var source = Assert.IsType<ZmqOpenpilotSource>(host.Services.GetRequiredService<IOpenpilotSource>());
        Assert.Equal("tcp://192.168.43.1:9999", source.Endpoints[0]);
        Assert.Equal($"tcp://192.168.43.1:{OpenpilotBridge.Port("selfdriveState")}", source.Endpoints[1]);
    }

    [Fact]
    public async Task A_misspelt_key_or_an_invalid_setting_fails_the_start_naming_the_key()
    {
        using IHost misspelt = Build(new() { ["Meowstik:Openpilot:MsgqRot"] = "/dev/shm" });
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => misspelt.StartAsync());
        Assert.Contains("'MsgqRot'", e.Message);

        using IHost invalid = Build(new() { ["Meowstik:Openpilot:MsgqHeaderSize"] = "100", ["Meowstik:Openpilot:Prefix"] = "../etc", ["Meowstik:Openpilot:StreamMaxRateHz"] = "0" });
        OptionsValidationException v = await Assert.ThrowsAsync<OptionsValidationException>(() => invalid.StartAsync());
        Assert.Contains("Meowstik:Openpilot:MsgqHeaderSize is 100", v.Message);
        Assert.Contains("Meowstik:Openpilot:Prefix '../etc'", v.Message);
        Assert.Contains("Meowstik:Openpilot:StreamMaxRateHz is 0", v.Message);

        using IHost noHost = Build([], bridge: true);
        OptionsValidationException b = await Assert.ThrowsAsync<OptionsValidationException>(() => noHost.StartAsync());
        Assert.Contains("Meowstik:OpenpilotBridge:Host is not set", b.Message);
    }
}
