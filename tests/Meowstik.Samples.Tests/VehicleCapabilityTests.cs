using System.Text.Json;
using Meowstik.Samples.Comma3x;

namespace Meowstik.Samples.Tests;

/// <summary>The Comma3x vehicle capability in process, with a status source under the test's control.</summary>
public sealed class VehicleCapabilityTests
{
    private sealed class FixedStatus : IVehicleStatusSource
    {
        public VehicleSnapshot Snapshot { get; set; } = new(47.1234, -122.5678, 65, true, "alert", "test");

        public string Name => "test";

        public VehicleSnapshot Read() => Snapshot;
    }

    private static VehicleOptions Options(bool control = false)
    {
        var o = new VehicleOptions { Control = { Enabled = control } };
        o.Places["Ocean Shores Tech"] = "46.9737,-124.1563";
        return o;
    }

    [Fact]
    public async Task Status_has_the_documents_shape_and_nulls_what_is_unknown()
    {
        var source = new FixedStatus();
        await using var harness = new CapabilityHarness(new VehicleCapability(source, Options()));
        JsonElement s = (await harness.QueryAsync("status")).Result.ToElement();
        Assert.Equal("""{"gps":{"lat":47.1234,"lng":-122.5678},"speed_mph":65,"eta_minutes":null,"destination":null,"engaged":true,"driver_attention":"alert"}""", s.GetRawText());

        Assert.True((await harness.CommandAsync("navigate", MeshJson.Raw("""{"destination":"ocean shores tech"}"""))).IsSuccess);   // names ignore case
        source.Snapshot = new VehicleSnapshot(null, null, null, false, "unknown", "test");
        s = (await harness.QueryAsync("status")).Result.ToElement();
        Assert.Equal("""{"gps":null,"speed_mph":null,"eta_minutes":null,"destination":"ocean shores tech","engaged":false,"driver_attention":"unknown"}""", s.GetRawText());
    }

    [Fact]
    public async Task Navigate_gives_the_straight_line_eta_at_the_current_speed_and_none_while_stationary()
    {
        var source = new FixedStatus();
        await using var harness = new CapabilityHarness(new VehicleCapability(source, Options()));
        JsonElement nav = (await harness.CommandAsync("navigate", MeshJson.Raw("""{"destination":"Ocean Shores Tech"}"""))).Result.ToElement();
        double miles = nav.GetProperty("distance_mi").GetDouble();
        Assert.InRange(miles, 75, 76);                                                         // haversine, Olympia to Ocean Shores
        Assert.Equal(Math.Ceiling(miles / 65 * 60), nav.GetProperty("eta_minutes").GetDouble(), 0);

        source.Snapshot = source.Snapshot with { SpeedMph = 0.2 };
        nav = (await harness.CommandAsync("navigate", MeshJson.Raw("""{"destination":"Home","lat":47.0,"lng":-122.9}"""))).Result.ToElement();
        Assert.Equal(JsonValueKind.Null, nav.GetProperty("eta_minutes").ValueKind);
        Assert.StartsWith("stationary", nav.GetProperty("eta_basis").GetString(), StringComparison.Ordinal);

        Assert.Equal("invalid_params", (await harness.CommandAsync("navigate", MeshJson.Raw("""{"lat":91,"lng":0}"""))).ErrorCode);
        Assert.Equal("invalid_params", (await harness.CommandAsync("navigate")).ErrorCode);
    }

    [Fact]
    public async Task Control_is_refused_when_disabled_and_outside_the_limits_and_each_error_says_why()
    {
        await using (var disabled = new CapabilityHarness(new VehicleCapability(new FixedStatus(), Options())))
        {
            CommandResult r = await disabled.CommandAsync("vehicle.cancel_cruise");
            Assert.Equal("control_disabled", r.ErrorCode);
            Assert.Contains("Comma3x:Control:Enabled is false", r.ErrorMessage, StringComparison.Ordinal);
        }

        var source = new FixedStatus();
        await using var harness = new CapabilityHarness(new VehicleCapability(source, Options(control: true)));
        CommandResult high = await harness.CommandAsync("vehicle.set_cruise_speed", MeshJson.Raw("""{"speed_mph":71}"""));
        Assert.Equal(("control_limit", true), (high.ErrorCode, high.ErrorMessage!.Contains("20-70 mph", StringComparison.Ordinal)));
        CommandResult jump = await harness.CommandAsync("vehicle.set_cruise_speed", MeshJson.Raw("""{"speed_mph":50}"""));   // 15 mph below 65
        Assert.Equal(("control_limit", true), (jump.ErrorCode, jump.ErrorMessage!.Contains("MaxChangeMph", StringComparison.Ordinal)));
        source.Snapshot = source.Snapshot with { SpeedMph = null };
        Assert.Equal("control_limit", (await harness.CommandAsync("vehicle.set_cruise_speed", MeshJson.Raw("""{"speed_mph":60}"""))).ErrorCode);
        source.Snapshot = source.Snapshot with { SpeedMph = 62 };
        Assert.Equal("control_unavailable", (await harness.CommandAsync("vehicle.set_cruise_speed", MeshJson.Raw("""{"speed_mph":60}"""))).ErrorCode);   // no CAN bus here
        Assert.Equal("invalid_params", (await harness.CommandAsync("vehicle.set_cruise_speed", MeshJson.Raw("""{"speed_mph":"fast"}"""))).ErrorCode);
    }

    [Fact]
    public async Task Record_moment_publishes_the_position_and_says_why_there_is_no_snapshot()
    {
        await using var harness = new CapabilityHarness(new VehicleCapability(new FixedStatus(), Options()));
        JsonElement m = (await harness.CommandAsync("record_moment", MeshJson.Raw("""{"label":"sunset"}"""))).Result.ToElement();
        Assert.Equal(("sunset", 47.1234, JsonValueKind.Null), (m.GetProperty("label").GetString(), m.GetProperty("gps").GetProperty("lat").GetDouble(), m.GetProperty("snapshot").ValueKind));
        Assert.Equal("simulation: no camera configured (Meowstik:Camera)", m.GetProperty("snapshot_reason").GetString());
        RecordedEvent e = Assert.Single(harness.Publisher.Events);
        Assert.Equal((VehicleCapability.MomentEvent, "broadcast"), (e.Name, e.To));
        Assert.Equal(m.GetProperty("moment_id").GetString(), e.Data.GetProperty("moment_id").GetString());
    }

    [Theory]
    [InlineData(100, "km/h", 62.137)]
    [InlineData(10, "m/s", 22.369)]
    [InlineData(55, "mph", 55)]
    public void Speed_signals_convert_by_their_dbc_unit(double value, string unit, double mph) =>
        Assert.Equal(mph, PluginVehicleStatusSource.ToMph(value, unit), 3);
}
