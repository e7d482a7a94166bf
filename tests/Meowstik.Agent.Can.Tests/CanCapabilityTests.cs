using System.Text;
using System.Text.Json;
using Meowstik.Agent.Can.Dbc;
using Microsoft.Extensions.Time.Testing;

using Meowstik.Agent.Testing;

namespace Meowstik.Agent.Can.Tests;

public sealed class CanCapabilityTests : IDisposable
{
    private static readonly DbcFile Vehicle = DbcFile.Load(Path.Combine(DbcDecodeTests.DataDir, "vehicle.dbc"));
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-19T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RecordingSender _bus = new();
    private readonly RecordingMeshPublisher _mesh = new("car-001");
    private readonly CanCapability _can;

    public CanCapabilityTests()
    {
        var options = new CanOptions { SendRatePerSecond = 2, SendBurst = 3 };
        options.SendAllowList.Add("123");           // standard 0x123
        options.SendAllowList.Add("18FF50E5");      // extended 0x18FF50E5
        options.SendAllowList.Add("200");           // VehicleSpeed (for DBC-encoded sends)
        _can = new CanCapability(new ListSource(), options, Vehicle, _bus, _time);
    }

    public void Dispose() => _can.Dispose();

    [Fact]
    public void Actions_follow_the_capability_verb_rule_and_only_stats_is_a_query()
    {
        Assert.Equal("can", _can.Name);
        Assert.Equal(["can.send", "can.stats", "can.subscribe", "can.unsubscribe"], _can.Actions.Order());
        Assert.Equal(["can.stats"], _can.QueryActions);
    }

    [Fact]
    public async Task A_signal_subscription_streams_decoded_values_to_the_requester_throttled_per_signal()
    {
        JsonElement sub = (await _can.Run("can.subscribe", """{"ids":["100"],"signals":["EngineSpeed","CoolantTemp"],"max_rate_hz":10,"deliver":"direct"}""")).Json();
        Assert.Equal(("can", "json"), (sub.GetProperty("stream_type").GetString(), sub.GetProperty("codec").GetString()));

        CanFrame engine = Commands.Frame("100#E02E5A80380F0000", 1_436_509_052_249_713);
        _can.Process(engine, _mesh);
        _can.Process(Commands.Frame("200#0FA00FA2FF9C0006"), _mesh);    // another id: filtered out
        _time.Advance(TimeSpan.FromMilliseconds(50));
        _can.Process(engine, _mesh);                                      // 50 ms later: over 10 Hz, throttled
        _time.Advance(TimeSpan.FromMilliseconds(60));
        _can.Process(engine, _mesh);                                      // 110 ms after the first: due again

        Assert.Equal(2, _mesh.StreamChunks.Count);
        OutgoingStreamChunk chunk = _mesh.StreamChunks[0];
        Assert.Equal(("can", "json", "phone-001", 0L), (chunk.StreamType, chunk.Codec, chunk.To, chunk.ChunkIndex));
        JsonElement data = JsonDocument.Parse(chunk.Data).RootElement;
        Assert.Equal(("100", "EngineData"), (data.GetProperty("id").GetString(), data.GetProperty("message").GetString()));
        Assert.Equal(1436509052.249713, data.GetProperty("t").GetDouble(), 6);
        Assert.Equal(["EngineSpeed", "CoolantTemp"], data.GetProperty("signals").EnumerateObject().Select(p => p.Name));
        Assert.Equal(3000, data.GetProperty("signals").GetProperty("EngineSpeed").GetDouble());
        Assert.Equal(1L, _mesh.StreamChunks[1].ChunkIndex);
    }

    [Fact]
    public async Task A_raw_subscription_streams_candump_lines_and_unsubscribe_stops_it()
    {
        string id = (await _can.Run("can.subscribe", """{"mode":"raw","ids":["0CFE4EE0", 256]}""")).Json().GetProperty("subscription_id").GetString()!;
        _can.Process(Commands.Frame("0CFE4EE0#01B0360DF6000000", 2_000_000), _mesh);
        _can.Process(Commands.Frame("100#E02E5A80380F0000", 2_000_000), _mesh);
        _can.Process(Commands.Frame("101#00", 2_000_000), _mesh);
        Assert.Equal(["(2.000000) vcan0 0CFE4EE0#01B0360DF6000000", "(2.000000) vcan0 100#E02E5A80380F0000"],
            _mesh.StreamChunks.Select(c => Encoding.ASCII.GetString(c.Data.Span)));

        // Only the owner can remove it.
        CommandResult other = await _can.Run("can.unsubscribe", $$"""{"subscription_id":"{{id}}"}""", from: "intruder-001");
        Assert.Equal(CanErrorCodes.UnknownSubscription, other.ErrorCode);
        Assert.Equal(1, (await _can.Run("can.unsubscribe", $$"""{"subscription_id":"{{id}}"}""")).Json().GetProperty("removed").GetInt32());
        _time.Advance(TimeSpan.FromSeconds(1));
        _can.Process(Commands.Frame("100#E02E5A80380F0000"), _mesh);
        Assert.Equal(2, _mesh.StreamChunks.Count);
    }

    [Fact]
    public async Task Subscribe_refuses_bad_parameters_and_too_many_subscriptions()
    {
        Assert.Equal(CanErrorCodes.InvalidParams, (await _can.Run("can.subscribe", """{"mode":"video"}""")).ErrorCode);
        Assert.Equal(CanErrorCodes.InvalidParams, (await _can.Run("can.subscribe", """{"ids":["12345"]}""")).ErrorCode);
        Assert.Equal(CanErrorCodes.InvalidParams, (await _can.Run("can.subscribe", """{"max_rate_hz":-1}""")).ErrorCode);
        for (int i = 0; i < 16; i++)
        {
            (await _can.Run("can.subscribe", "{}")).Json();
        }

        CommandResult full = await _can.Run("can.subscribe", "{}");
        Assert.Equal(CanErrorCodes.TooManySubscriptions, full.ErrorCode);
        Assert.Contains("MaxSubscriptions", full.ErrorMessage);
    }

    [Fact]
    public async Task Send_puts_an_allowed_frame_on_the_bus_from_hex_or_dbc_signals()
    {
        Assert.Equal("123#DEADBEEF", (await _can.Run("can.send", """{"id":"123","data":"DEADBEEF"}""")).Json().GetProperty("frame").GetString());
        Assert.Equal("18FF50E5#01", (await _can.Run("can.send", """{"id":"18FF50E5","data":"01"}""")).Json().GetProperty("frame").GetString());
        Assert.Equal("200#0FA00FA2FF900006",
            (await _can.Run("can.send", """{"id":"200","signals":{"WheelSpeedFL":40,"WheelSpeedFR":40.02,"YawRate":-0.7,"Gear":3}}""")).Json().GetProperty("frame").GetString());
        Assert.Equal(["123#DEADBEEF", "18FF50E5#01", "200#0FA00FA2FF900006"], _bus.Sent.Select(f => f.ToString()));
    }

    // ---- Attacker cases: vehicle control is safety-critical; nothing but an allowed, well-formed, in-rate frame reaches the bus. ----

    [Theory]
    [InlineData("""{"id":"124","data":"00"}""", "Standard id 124 is not on the send allow-list")]
    [InlineData("""{"id":"7FF","data":"00"}""", "Standard id 7FF")]
    [InlineData("""{"id":291,"data":"00","extended":true}""", "Extended id 00000123")]            // 0x123 as an extended id
    [InlineData("""{"id":"00000123","data":"00"}""", "Extended id 00000123")]                     // extended id spoofing allowed standard 0x123
    [InlineData("""{"id":"0x00000123","data":"00"}""", "Extended id 00000123")]
    [InlineData("""{"id":"000000E5","data":"00"}""", "Extended id 000000E5")]
    [InlineData("""{"id":1643114725,"data":"00"}""", "not a CAN id")]                              // 0x61F050E5: 31 bits
    public async Task Send_refuses_ids_not_on_the_allow_list_including_an_extended_id_spoofing_an_allowed_standard_one(string request, string message)
    {
        CommandResult r = await _can.Run("can.send", request);
        Assert.False(r.IsSuccess);
        Assert.Contains(message, r.ErrorMessage);
        Assert.Contains(r.ErrorCode, new[] { CanErrorCodes.IdNotAllowed, CanErrorCodes.InvalidParams });
        Assert.Empty(_bus.Sent);
    }

    [Theory]
    [InlineData("""{"id":"123","data":"001122334455667788"}""", CanErrorCodes.PayloadTooLarge)]
    [InlineData("""{"id":"123","data":"0"}""", CanErrorCodes.InvalidParams)]
    [InlineData("""{"id":"123","data":"ZZ"}""", CanErrorCodes.InvalidParams)]
    [InlineData("""{"id":"123","data":12}""", CanErrorCodes.InvalidParams)]
    [InlineData("""{"id":"123"}""", CanErrorCodes.InvalidParams)]
    [InlineData("""{"id":"123","data":"00","signals":{}}""", CanErrorCodes.InvalidParams)]
    [InlineData("""{"data":"00"}""", CanErrorCodes.InvalidParams)]
    [InlineData("""{"id":"123","signals":{"X":1}}""", CanErrorCodes.EncodeFailed)]                  // no DBC message for 0x123
    [InlineData("""{"id":"200","signals":{"Gear":9}}""", CanErrorCodes.EncodeFailed)]               // 3-bit signal
    [InlineData("""{"id":"200","signals":{"Gear":"drive"}}""", CanErrorCodes.InvalidParams)]
    public async Task Send_refuses_malformed_and_oversized_payloads(string request, string code)
    {
        CommandResult r = await _can.Run("can.send", request);
        Assert.Equal(code, r.ErrorCode);
        Assert.Empty(_bus.Sent);
    }

    [Fact]
    public async Task Send_refuses_a_huge_payload_without_parsing_it()
    {
        string huge = new('A', 1_000_000);
        CommandResult r = await _can.Run("can.send", $$"""{"id":"123","data":"{{huge}}"}""");
        Assert.Equal(CanErrorCodes.PayloadTooLarge, r.ErrorCode);
        Assert.Contains("500000 bytes", r.ErrorMessage);
        Assert.Empty(_bus.Sent);
    }

    [Fact]
    public async Task Send_is_rate_limited_per_id_and_refills_with_time()
    {
        // Burst 3, then 2 per second.
        for (int i = 0; i < 3; i++)
        {
            Assert.True((await _can.Run("can.send", """{"id":"123","data":"01"}""")).IsSuccess);
        }

        CommandResult over = await _can.Run("can.send", """{"id":"123","data":"01"}""");
        Assert.Equal(CanErrorCodes.RateLimited, over.ErrorCode);
        Assert.Contains("over its send rate", over.ErrorMessage);
        Assert.True((await _can.Run("can.send", """{"id":"18FF50E5","data":"01"}""")).IsSuccess);   // another id has its own budget

        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(CanErrorCodes.RateLimited, (await _can.Run("can.send", """{"id":"123","data":"01"}""")).ErrorCode);
        _time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.True((await _can.Run("can.send", """{"id":"123","data":"01"}""")).IsSuccess);
        Assert.Equal(5, _bus.Sent.Count);

        // A flood of 1000 requests in the same instant gets nothing more through.
        for (int i = 0; i < 1000; i++)
        {
            await _can.Run("can.send", """{"id":"123","data":"01"}""");
        }

        Assert.Equal(5, _bus.Sent.Count);
    }

    [Fact]
    public async Task Send_without_an_allow_list_or_without_a_sender_refuses_everything()
    {
        using var closed = new CanCapability(new ListSource(), new CanOptions(), Vehicle, _bus, _time);
        Assert.Equal(CanErrorCodes.IdNotAllowed, (await closed.Run("can.send", """{"id":"123","data":"00"}""")).ErrorCode);

        var options = new CanOptions();
        options.SendAllowList.Add("123");
        using var replay = new CanCapability(new ListSource(), options, Vehicle, sender: null, _time);
        CommandResult r = await replay.Run("can.send", """{"id":"123","data":"00"}""");
        Assert.Equal(CanErrorCodes.SendUnavailable, r.ErrorCode);
        Assert.Empty(_bus.Sent);
    }

    [Fact]
    public async Task A_query_cannot_send_but_can_read_stats()
    {
        CommandResult r = await _can.Run("can.send", """{"id":"123","data":"00"}""", kind: CommandKind.Query);
        Assert.Equal("forbidden", r.ErrorCode);
        Assert.Empty(_bus.Sent);
        Assert.True((await _can.Run("can.stats", kind: CommandKind.Query)).IsSuccess);
    }

    [Fact]
    public async Task Stats_report_frames_per_second_bus_load_and_errors()
    {
        // 100 frames of 8 bytes, standard: 47 + 64 = 111 bits each, over one second; 3 error frames (47 bits).
        for (int i = 0; i < 100; i++)
        {
            _can.Process(Commands.Frame("100#E02E5A80380F0000"), _mesh);
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        for (int i = 0; i < 3; i++)
        {
            _can.Process(Commands.Frame("20000004#0000000000000000"), _mesh);
        }

        _can.Process(Commands.Frame("7AA#00"), _mesh);          // not in the DBC
        JsonElement stats = (await _can.Run("can.stats", kind: CommandKind.Query)).Json();
        Assert.Equal(104, stats.GetProperty("frames").GetInt64());
        Assert.Equal(3, stats.GetProperty("error_frames").GetInt64());
        Assert.Equal(1, stats.GetProperty("unknown_frames").GetInt64());
        // The window closed at the 101st frame, 1 s after the first: 100 frames, 100 × 111 = 11100 bits → 2.22 % of 500 kbit/s.
        Assert.Equal(100, stats.GetProperty("frames_per_second").GetDouble());
        Assert.Equal(2.22, stats.GetProperty("bus_load_percent").GetDouble());
        Assert.Equal("vcan0", stats.GetProperty("interface").GetString());
    }

    [Fact]
    public async Task RunAsync_reads_the_source_until_it_ends()
    {
        using var can = new CanCapability(new ListSource(Commands.Frame("100#00"), Commands.Frame("200#00")), new CanOptions(), Vehicle);
        await can.RunAsync(_mesh, CancellationToken.None);
        Assert.Equal(2, (await can.Run("can.stats")).Json().GetProperty("frames").GetInt64());
    }
}

public sealed class LatestSignalTests : IDisposable
{
    private static readonly DbcFile Vehicle = DbcFile.Load(Path.Combine(DbcDecodeTests.DataDir, "vehicle.dbc"));
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-19T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RecordingMeshPublisher _mesh = new("car-001");
    private readonly CanCapability _can;

    public LatestSignalTests() => _can = new CanCapability(new ListSource(), new CanOptions(), Vehicle, timeProvider: _time);

    public void Dispose() => _can.Dispose();

    [Fact]
    public void The_latest_value_of_a_signal_is_decoded_from_the_newest_frame_without_any_subscription()
    {
        Assert.False(_can.TryGetLatestSignal("EngineSpeed", out _, out _));                    // nothing received yet

        _can.Process(Commands.Frame("100#E02E5A80380F0000"), _mesh);                          // 0x2EE0 * 0.25 = 3000 rpm
        DateTimeOffset first = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(_can.TryGetLatestSignal("EngineSpeed", out DecodedSignal rpm, out DateTimeOffset at));
        Assert.Equal(3000, rpm.Value, 3);
        Assert.Equal("rpm", rpm.Signal.Unit);
        Assert.Equal(first, at);

        _can.Process(Commands.Frame("100#A00F5A80380F0000"), _mesh);                          // 0x0FA0 * 0.25 = 1000 rpm
        Assert.True(_can.TryGetLatestSignal("EngineSpeed", out rpm, out at));
        Assert.Equal(1000, rpm.Value, 3);
        Assert.Equal(_time.GetUtcNow(), at);
        Assert.True(_can.TryGetLatestSignal("CoolantTemp", out DecodedSignal coolant, out _));  // same frame, another signal
        Assert.Equal(0x5A - 40, coolant.Value, 3);
        Assert.Empty(_mesh.StreamChunks);                                                          // nothing streamed: no subscriber
    }

    [Fact]
    public void Unknown_signals_error_frames_and_other_multiplexer_values_give_no_value()
    {
        Assert.False(_can.TryGetLatestSignal("NoSuchSignal", out _, out _));
        _can.Process(new CanFrame(0x100, [1, 2], CanFrameFlags.Error), _mesh);                // an error frame is no data
        Assert.False(_can.TryGetLatestSignal("EngineSpeed", out _, out _));

        _can.Process(Commands.Frame("0CFE4EE0#01E02E0000000000"), _mesh);                      // Diagnostics, mux 1: battery
        Assert.True(_can.TryGetLatestSignal("BatteryVoltage", out DecodedSignal volts, out _));
        Assert.Equal(12.0, volts.Value, 3);
        Assert.False(_can.TryGetLatestSignal("OdometerKm", out _, out _));                     // mux 2 not in the newest frame

        using var noDbc = new CanCapability(new ListSource(), new CanOptions());
        noDbc.Process(Commands.Frame("100#E02E5A80380F0000"), _mesh);
        Assert.False(noDbc.TryGetLatestSignal("EngineSpeed", out _, out _));
    }
}
