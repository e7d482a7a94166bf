using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Gps.Tests;

/// <summary>
/// A car agent hosted with <c>AddGps</c> (an NMEA drive log as its receiver), a real hub, and a controller agent asking it
/// over real WebSockets: gps.position and gps.eta queries, and a gps.track stream.
/// </summary>
public sealed class GpsEndToEndTests : IAsyncLifetime
{
    private readonly string _log = Path.Combine(Path.GetTempPath(), $"meowstik-gps-e2e-{Guid.NewGuid():N}.nmea");
    private MeshTestHub _hub = null!;
    private IHost _car = null!;
    private MeshAgent _phone = null!;

    public async Task InitializeAsync()
    {
        // The drive without its cold-start epochs, so a looping replay never passes through "no fix".
        File.WriteAllLines(_log, File.ReadAllLines(NmeaSourceTests.DrivePath).Skip(9));
        _hub = await MeshTestHub.StartAsync();

        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = _hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "comma3x-001",
            ["Meowstik:Agent:DeviceType"] = "vehicle",
            // Granted phone-001 so the direct track can aim chunks at it; the subscriber track needs no grant.
            ["Meowstik:Agent:Token"] = await _hub.IssueDeviceTokenAsync("comma3x-001", "phone-001"),
            ["Meowstik:Gps:Source"] = "File",
            ["Meowstik:Gps:NmeaFile"] = _log,
            ["Meowstik:Gps:FileFixInterval"] = "00:00:00.05",
            ["Meowstik:Gps:TrackMaxRateHz"] = "10",
        });
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddGps(builder.Configuration.GetSection(GpsOptions.SectionName));
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
        File.Delete(_log);
    }

    private async Task<MeshReply> WhenFixed(Func<Task<MeshReply>> ask)
    {
        // The replay's first fix may be a few ms after the agent is online.
        for (int i = 0; ; i++)
        {
            try
            {
                return await ask();
            }
            catch (MeshRequestException e) when (e.Code == GpsCapability.NoFixError && i < 100)
            {
                await Task.Delay(20);
            }
        }
    }

    [Fact]
    public async Task A_controller_queries_position_and_eta_and_receives_the_track_stream()
    {
        MeshReply position = await WhenFixed(() => _phone.QueryAsync("comma3x-001", "gps.position", timeout: TimeSpan.FromSeconds(10)));
        JsonElement p = position.Result;
        Assert.InRange(p.GetProperty("lat").GetDouble(), 46.97, 46.98);
        Assert.InRange(p.GetProperty("lng").GetDouble(), -123.84, -123.81);
        Assert.Equal("3d", p.GetProperty("fix").GetString());
        Assert.InRange(p.GetProperty("speed_mps").GetDouble(), 1.49, 20.01); // the drive accelerates from 1.5 to 20 m/s
        Assert.Equal(p.GetProperty("speed_mps").GetDouble() / 0.44704, p.GetProperty("speed_mph").GetDouble(), 1);
        Assert.Equal(4.5, p.GetProperty("accuracy_m").GetDouble()); // HDOP 0.9 x 5 m
        Assert.StartsWith("2026-01-19T17:0", p.GetProperty("time").GetString());

        // Ocean Shores, about 25 km west of Aberdeen.
        MeshReply eta = await WhenFixed(() => _phone.QueryAsync("comma3x-001", "gps.eta",
            MeshJson.Object(w => { w.WriteNumber("lat", 46.9737); w.WriteNumber("lng", -124.1563); }), TimeSpan.FromSeconds(10)));
        Assert.InRange(eta.Result.GetProperty("distance_km").GetDouble(), 24, 27);
        // eta_s = distance / speed with a speed between 1.5 and 20 m/s (the basis says which speed).
        JsonElement e = eta.Result;
        double speed = e.GetProperty("basis").GetString() == "average" ? e.GetProperty("average_speed_mps").GetDouble() : e.GetProperty("speed_mps").GetDouble();
        Assert.InRange(speed, 1.49, 20.01);
        Assert.Equal(e.GetProperty("distance_m").GetDouble() / speed, e.GetProperty("eta_s").GetDouble(), 0.5 + e.GetProperty("distance_m").GetDouble() / speed * 0.01); // speeds are reported to 0.01 m/s

        MeshRequestException bad = await Assert.ThrowsAsync<MeshRequestException>(() => _phone.QueryAsync("comma3x-001", "gps.eta", timeout: TimeSpan.FromSeconds(10)));
        Assert.Equal(GpsCapability.InvalidParamsError, bad.Code);

        // gps.track is a command: a query naming it is refused by the agent's dispatcher.
        MeshRequestException asQuery = await Assert.ThrowsAsync<MeshRequestException>(() => _phone.QueryAsync("comma3x-001", "gps.track", timeout: TimeSpan.FromSeconds(10)));
        Assert.Equal(MeshErrorCodes.Forbidden, asQuery.Code);

        // The car streams to the hub; the hub forwards to those subscribed to its gps stream (and allowed to observe it).
        using MeshSubscription<MeshStreamChunk> stream = _phone.SubscribeStream("comma3x-001", GpsCapability.StreamType);
        await _phone.SendCommandAsync(DeviceId.Hub, "subscribe_stream", MeshJson.Object(w => { w.WriteString("device_id", "comma3x-001"); w.WriteString("stream_type", "gps"); }), TimeSpan.FromSeconds(10));
        MeshReply track = await _phone.SendCommandAsync("comma3x-001", "gps.track", MeshJson.Object(w => w.WriteNumber("rate_hz", 5)), TimeSpan.FromSeconds(10));
        Assert.True(track.Result.GetProperty("tracking").GetBoolean());
        Assert.Equal(5, track.Result.GetProperty("rate_hz").GetDouble());

        var chunks = new List<MeshStreamChunk>();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await foreach (MeshStreamChunk chunk in stream.WithCancellation(timeout.Token))
            {
                chunks.Add(chunk);
                if (chunks.Count == 4)
                {
                    break;
                }
            }
        }

        Assert.Equal(4, chunks.Count);
        Assert.All(chunks, c => Assert.Equal(("comma3x-001", "gps", "json"), (c.From, c.StreamType, c.Codec)));
        Assert.Equal(chunks.Select(c => c.Index).Order(), chunks.Select(c => c.Index));
        JsonElement data = JsonDocument.Parse(chunks[^1].Data).RootElement;
        Assert.InRange(data.GetProperty("lat").GetDouble(), 46.97, 46.98);
        Assert.Equal("3d", data.GetProperty("fix").GetString());

        MeshReply stopped = await _phone.SendCommandAsync("comma3x-001", "gps.track", MeshJson.Object(w => w.WriteBoolean("stop", true)), TimeSpan.FromSeconds(10));
        Assert.True(stopped.Result.GetProperty("stopped").GetBoolean());
        Assert.Empty(_car.Services.GetRequiredService<GpsCapability>().Trackers);
    }

    [Fact]
    public async Task A_direct_track_streams_to_the_requester_without_a_hub_subscription()
    {
        await WhenFixed(() => _phone.QueryAsync("comma3x-001", "gps.position", timeout: TimeSpan.FromSeconds(10)));
        using MeshSubscription<MeshStreamChunk> stream = _phone.SubscribeStream("comma3x-001", GpsCapability.StreamType);
        MeshReply track = await _phone.SendCommandAsync("comma3x-001", "gps.track", MeshJson.Object(w => { w.WriteNumber("rate_hz", 10); w.WriteBoolean("direct", true); }), TimeSpan.FromSeconds(10));
        Assert.Equal("phone-001", track.Result.GetProperty("to").GetString());

        int received = 0;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await foreach (MeshStreamChunk chunk in stream.WithCancellation(timeout.Token))
            {
                Assert.Equal("gps", chunk.StreamType);
                Assert.Equal("3d", JsonDocument.Parse(chunk.Data).RootElement.GetProperty("fix").GetString());
                if (++received == 3)
                {
                    break;
                }
            }
        }

        Assert.Equal(3, received);
        MeshReply stopped = await _phone.SendCommandAsync("comma3x-001", "gps.untrack", timeout: TimeSpan.FromSeconds(10));
        Assert.True(stopped.Result.GetProperty("stopped").GetBoolean());
    }
}
