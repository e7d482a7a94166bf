using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

using Meowstik.Agent.Testing;

namespace Meowstik.Agent.Gps.Tests;

/// <summary>gps.position, gps.eta (haversine and ETA arithmetic by hand) and gps.track, driven with fixes directly.</summary>
public sealed class GpsCapabilityTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 19, 17, 0, 0, TimeSpan.Zero));
    private readonly RecordingMeshPublisher _publisher = new("car-001");
    private readonly GpsCapability _gps;

    public GpsCapabilityTests()
    {
        _gps = new GpsCapability(new NoSource(), new GpsOptions { TrackMaxRateHz = 2 }, timeProvider: _time);
    }

    private static GpsFix Fix(double lat, double lng, double speed, GpsFixMode mode = GpsFixMode.ThreeD) => new()
    {
        Mode = mode, Latitude = lat, Longitude = lng, SpeedMetersPerSecond = speed, HeadingDegrees = 0, AltitudeMeters = 10,
        HorizontalAccuracyMeters = 4.5, Satellites = 9, Time = new DateTimeOffset(2026, 1, 19, 17, 0, 0, TimeSpan.Zero),
    };

    private async Task<CommandResult> Ask(string action, string parameters = "{}", string from = "phone-001")
    {
        JsonElement p = JsonDocument.Parse(parameters).RootElement;
        var context = new CommandContext(action == "gps.track" || action == "gps.untrack" ? CommandKind.Command : CommandKind.Query, action, "msg_1", from, p, p, _publisher);
        return await _gps.HandleAsync(context, CancellationToken.None);
    }

    private static JsonElement Ok(CommandResult result)
    {
        Assert.True(result.IsSuccess, $"{result.ErrorCode}: {result.ErrorMessage}");
        return result.Result.ToElement();
    }

    [Fact]
    public void Advertises_the_plugin_actions_and_their_kinds()
    {
        Assert.Equal("gps", _gps.Name);
        Assert.Equal(["gps.eta", "gps.position", "gps.track", "gps.untrack"], _gps.Actions.Order());
        Assert.Equal(["gps.eta", "gps.position"], _gps.QueryActions.Order());
    }

    [Fact]
    public async Task Position_reports_speed_in_mps_and_mph_fix_accuracy_and_time()
    {
        _gps.Ingest(Fix(46.9582, -124.1615, 26.8224), null);
        JsonElement r = Ok(await Ask("gps.position"));
        Assert.Equal(46.9582, r.GetProperty("lat").GetDouble());
        Assert.Equal(-124.1615, r.GetProperty("lng").GetDouble());
        Assert.Equal(26.822, r.GetProperty("speed_mps").GetDouble()); // rounded to mm/s
        Assert.Equal(60, r.GetProperty("speed_mph").GetDouble()); // 26.8224 / 0.44704 = 60 exactly
        Assert.Equal("3d", r.GetProperty("fix").GetString());
        Assert.Equal(4.5, r.GetProperty("accuracy_m").GetDouble());
        Assert.Equal(0, r.GetProperty("heading").GetDouble());
        Assert.Equal("2026-01-19T17:00:00.000Z", r.GetProperty("time").GetString());
    }

    [Fact]
    public async Task Position_without_a_fix_is_a_clear_no_fix_error()
    {
        CommandResult none = await Ask("gps.position");
        Assert.Equal(GpsCapability.NoFixError, none.ErrorCode);
        Assert.Contains("reported nothing yet", none.ErrorMessage);

        _gps.Ingest(new GpsFix { Mode = GpsFixMode.None }, null);
        CommandResult noFix = await Ask("gps.position");
        Assert.Equal(GpsCapability.NoFixError, noFix.ErrorCode);
        Assert.Contains("reports no fix", noFix.ErrorMessage);

        _gps.Ingest(Fix(47, -124, 10), null);
        Ok(await Ask("gps.position"));
        _time.Advance(TimeSpan.FromSeconds(11));
        CommandResult stale = await Ask("gps.position");
        Assert.Equal(GpsCapability.NoFixError, stale.ErrorCode);
        Assert.Contains("11 s old", stale.ErrorMessage);
    }

    [Fact]
    public void Haversine_matches_hand_computations()
    {
        // One degree along a meridian: Δφ = 1° = π/180 rad, Δλ = 0, so a = sin²(π/360), c = 2·atan2(√a, √(1−a)) = π/180,
        // d = R·c = 6 371 000 × 0.0174532925 = 111 194.93 m.
        Assert.Equal(111_194.93, GeoMath.HaversineMeters(46, -124, 47, -124), 2);

        // One degree of longitude at 60° N: a = cos²60° · sin²(0.5°) = 0.25 × 0.0087265355² = 1.9038e-5,
        // c = 2·asin(√a) = 2·asin(0.00436327) = 0.00872655 rad, d = 6 371 000 × 0.00872655 = 55 596.9 m
        // (half the equatorial degree, as cos 60° = 0.5, to 6 significant figures).
        Assert.Equal(55_596.9, GeoMath.HaversineMeters(60, 10, 60, 11), 0);

        // Antipodes: half the circumference, π·R = 20 015 086.8 m.
        Assert.Equal(Math.PI * 6_371_000, GeoMath.HaversineMeters(0, 0, 0, 180), 3);
        Assert.Equal(0, GeoMath.HaversineMeters(47.1, -122.5, 47.1, -122.5));
    }

    [Fact]
    public async Task Eta_from_current_and_average_speed_by_hand()
    {
        // Two fixes one second apart at 10 then 20 m/s; the destination is one degree of latitude north.
        _gps.Ingest(Fix(46, -124, 10), null);
        _time.Advance(TimeSpan.FromSeconds(1));
        _gps.Ingest(Fix(46, -124, 20), null);

        JsonElement r = Ok(await Ask("gps.eta", """{"lat":47,"lng":-124}"""));
        Assert.Equal(111_194.9, r.GetProperty("distance_m").GetDouble(), 1);
        Assert.Equal(111.195, r.GetProperty("distance_km").GetDouble(), 3);
        Assert.Equal(69.093, r.GetProperty("distance_mi").GetDouble(), 3); // 111 194.93 / 1609.344
        Assert.Equal(20, r.GetProperty("speed_mps").GetDouble());
        Assert.Equal(15, r.GetProperty("average_speed_mps").GetDouble()); // (10 + 20) / 2
        Assert.Equal(5560, r.GetProperty("eta_current_s").GetDouble()); // 111 194.93 / 20 = 5559.75
        Assert.Equal(7413, r.GetProperty("eta_average_s").GetDouble()); // 111 194.93 / 15 = 7412.995
        Assert.Equal(7413, r.GetProperty("eta_s").GetDouble());
        Assert.Equal(123.5, r.GetProperty("eta_minutes").GetDouble()); // 7412.995 / 60 = 123.5499
        Assert.Equal("average", r.GetProperty("basis").GetString());
        Assert.Equal(new DateTimeOffset(2026, 1, 19, 17, 0, 1, TimeSpan.Zero).AddSeconds(7412.995), DateTimeOffset.Parse(r.GetProperty("arrival").GetString()!), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task Eta_while_stopped_at_a_light_uses_the_average_and_when_parked_is_a_clear_error()
    {
        _gps.Ingest(Fix(46, -124, 20), null);
        _time.Advance(TimeSpan.FromSeconds(1));
        _gps.Ingest(Fix(46, -124, 0), null);
        JsonElement light = Ok(await Ask("gps.eta", """{"lat":47,"lng":-124}"""));
        Assert.Equal(JsonValueKind.Null, light.GetProperty("eta_current_s").ValueKind);
        Assert.Equal(11119, light.GetProperty("eta_average_s").GetDouble()); // 111 194.93 / 10

        // Five minutes parked: the average window holds only zeros.
        for (int i = 0; i < 6; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            _gps.Ingest(Fix(46, -124, 0), null);
        }

        CommandResult parked = await Ask("gps.eta", """{"lat":47,"lng":-124}""");
        Assert.Equal(GpsCapability.StationaryError, parked.ErrorCode);
        Assert.Contains("111.2 km away", parked.ErrorMessage);
    }

    [Fact]
    public async Task Eta_errors_for_no_fix_and_bad_destinations()
    {
        Assert.Equal(GpsCapability.NoFixError, (await Ask("gps.eta", """{"lat":47,"lng":-124}""")).ErrorCode);
        _gps.Ingest(Fix(46, -124, 20), null);
        Assert.Equal(GpsCapability.InvalidParamsError, (await Ask("gps.eta", """{"lng":-124}""")).ErrorCode);
        Assert.Equal(GpsCapability.InvalidParamsError, (await Ask("gps.eta", """{"lat":91,"lng":-124}""")).ErrorCode);
        Assert.Equal(GpsCapability.InvalidParamsError, (await Ask("gps.eta", """{"lat":"47","lng":-124}""")).ErrorCode);
        CommandResult bad = await Ask("gps.eta", """{"lat":47,"lng":-181}""");
        Assert.Contains("'lng'", bad.ErrorMessage);
    }

    [Fact]
    public async Task Track_direct_streams_json_chunks_to_the_requester_at_most_at_the_rate_then_stops()
    {
        JsonElement started = Ok(await Ask("gps.track", """{"rate_hz":50,"direct":true}"""));
        Assert.Equal("phone-001", started.GetProperty("to").GetString());
        Assert.Equal(2, started.GetProperty("rate_hz").GetDouble()); // capped at TrackMaxRateHz
        Assert.Equal("gps", started.GetProperty("stream_type").GetString());

        // 10 fixes at 10 Hz over one second: at 2 Hz, every fifth one is sent.
        for (int i = 0; i < 10; i++)
        {
            _gps.Ingest(Fix(46 + i * 0.0001, -124, 20), _publisher);
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        OutgoingStreamChunk[] chunks = [.. _publisher.StreamChunks];
        Assert.Equal(2, chunks.Length);
        Assert.All(chunks, c => Assert.Equal(("gps", "json", "phone-001"), (c.StreamType, c.Codec, c.To)));
        Assert.Equal([0L, 1L], chunks.Select(c => c.ChunkIndex!.Value));
        JsonElement second = JsonDocument.Parse(chunks[1].Data).RootElement;
        Assert.Equal(46.0005, second.GetProperty("lat").GetDouble(), 9);
        Assert.Equal("3d", second.GetProperty("fix").GetString());

        JsonElement stopped = Ok(await Ask("gps.track", """{"stop":true}"""));
        Assert.True(stopped.GetProperty("stopped").GetBoolean());
        _gps.Ingest(Fix(46, -124, 20), _publisher);
        Assert.Equal(2, _publisher.StreamChunks.Count);
        Assert.False(Ok(await Ask("gps.untrack")).GetProperty("stopped").GetBoolean());
    }

    [Fact]
    public async Task Track_to_subscribers_is_one_hub_stream_at_the_fastest_requested_rate()
    {
        JsonElement started = Ok(await Ask("gps.track", """{"rate_hz":1}""", "phone-001"));
        Assert.Equal("subscribers", started.GetProperty("to").GetString());
        Assert.Equal("subscribe_stream", started.GetProperty("subscribe").GetProperty("action").GetString());
        Assert.Equal("car-001", started.GetProperty("subscribe").GetProperty("device_id").GetString());
        Ok(await Ask("gps.track", """{"rate_hz":2}""", "tablet-001"));

        for (int i = 0; i < 10; i++)
        {
            _gps.Ingest(Fix(46, -124, 20), _publisher);
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        OutgoingStreamChunk[] chunks = [.. _publisher.StreamChunks];
        Assert.Equal(2, chunks.Length); // 2 Hz, the faster of the two, over one second
        Assert.All(chunks, c => Assert.Null(c.To));
        Assert.Equal([0L, 1L], chunks.Select(c => c.ChunkIndex!.Value));

        Ok(await Ask("gps.untrack", "{}", "phone-001"));
        Ok(await Ask("gps.untrack", "{}", "tablet-001"));
        _gps.Ingest(Fix(46, -124, 20), _publisher);
        Assert.Equal(2, _publisher.StreamChunks.Count);
    }

    [Fact]
    public async Task Track_refuses_bad_rates_and_too_many_trackers()
    {
        Assert.Equal(GpsCapability.InvalidParamsError, (await Ask("gps.track", """{"rate_hz":0}""")).ErrorCode);
        var gps = new GpsCapability(new NoSource(), new GpsOptions { MaxTrackers = 1 });
        JsonElement p = JsonDocument.Parse("{}").RootElement;
        Assert.True((await gps.HandleAsync(new CommandContext(CommandKind.Command, "gps.track", "m1", "a", p, p, _publisher), default)).IsSuccess);
        Assert.True((await gps.HandleAsync(new CommandContext(CommandKind.Command, "gps.track", "m2", "a", p, p, _publisher), default)).IsSuccess);
        CommandResult second = await gps.HandleAsync(new CommandContext(CommandKind.Command, "gps.track", "m3", "b", p, p, _publisher), default);
        Assert.Equal(GpsCapability.TooManyTrackersError, second.ErrorCode);
        Assert.Equal(["a"], gps.Trackers);
    }

    private sealed class NoSource : IGpsSource
    {
        public string Description => "test source";

        public IAsyncEnumerable<GpsFix> ReadFixesAsync(CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<GpsFix>();
    }
}
