using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenCvSharp;

namespace Meowstik.Agent.Camera.Tests;

/// <summary>
/// A camera agent hosted with <c>AddOpenCvCamera</c> (the generated .avi as its camera), a real hub, and a controller agent
/// asking it over real WebSockets: a snapshot query, and a video stream through the hub to a subscriber.
/// </summary>
public sealed class CameraEndToEndTests : IAsyncLifetime
{
    private MeshTestHub _hub = null!;
    private IHost _camera = null!;
    private MeshAgent _phone = null!;

    public async Task InitializeAsync()
    {
        _hub = await MeshTestHub.StartAsync();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = _hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "desk-cam-001",
            ["Meowstik:Agent:DeviceType"] = "camera",
            ["Meowstik:Agent:Token"] = await _hub.IssueDeviceTokenAsync("desk-cam-001"),
            ["Meowstik:Camera:Device"] = TestMedia.VideoPath,
            ["Meowstik:Camera:Quality"] = "75",
        });
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddOpenCvCamera(builder.Configuration.GetSection(CameraOptions.SectionName));
        _camera = builder.Build();
        await _camera.StartAsync();
        await _camera.Services.GetRequiredService<MeshAgent>().WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));

        _phone = await _hub.StartControllerAsync("phone-001", "Jason");
    }

    public async Task DisposeAsync()
    {
        await _camera.StopAsync();
        _camera.Dispose();
        await _hub.DisposeAsync();
    }

    [Fact]
    public async Task A_controller_queries_a_snapshot_and_receives_the_video_stream()
    {
        MeshReply snapshot = await _phone.QueryAsync("desk-cam-001", "camera.snapshot", MeshJson.Object(w => w.WriteNumber("max_width", 160)), TimeSpan.FromSeconds(10));
        JsonElement r = snapshot.Result;
        Assert.Equal((160, 120), (r.GetProperty("width").GetInt32(), r.GetProperty("height").GetInt32()));
        using (Mat image = TestMedia.Decode(r.GetProperty("data").GetBytesFromBase64()))
        {
            Assert.Equal((160, 120), (image.Width, image.Height));
        }

        // The camera streams to the hub; the hub forwards to those subscribed to its video stream.
        using MeshSubscription<MeshStreamChunk> stream = _phone.SubscribeStream("desk-cam-001", CameraCapability.StreamType);
        await _phone.SendCommandAsync(DeviceId.Hub, "subscribe_stream", MeshJson.Object(w => { w.WriteString("device_id", "desk-cam-001"); w.WriteString("stream_type", "video"); }), TimeSpan.FromSeconds(10));
        MeshReply started = await _phone.SendCommandAsync("desk-cam-001", "camera.stream_start", MeshJson.Object(w => { w.WriteNumber("fps", 20); w.WriteString("resolution", "320x240"); }), TimeSpan.FromSeconds(10));
        Assert.True(started.Result.GetProperty("streaming").GetBoolean());

        var chunks = new List<MeshStreamChunk>();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await foreach (MeshStreamChunk chunk in stream.WithCancellation(timeout.Token))
            {
                chunks.Add(chunk);
                if (chunks.Count == 5)
                {
                    break;
                }
            }
        }

        Assert.Equal(5, chunks.Count);
        Assert.All(chunks, c => Assert.Equal(("desk-cam-001", "video", "jpeg"), (c.From, c.StreamType, c.Codec)));
        long[] indices = [.. chunks.Select(c => c.Index)];
        Assert.True(indices.Zip(indices.Skip(1)).All(p => p.Second > p.First), string.Join(",", indices));
        using (Mat frame = TestMedia.Decode(chunks[^1].Data.Span))
        {
            Assert.Equal((320, 240), (frame.Width, frame.Height));
        }

        Assert.Equal(320, chunks[^1].Metadata.GetProperty("width").GetInt32());
        MeshReply stopped = await _phone.SendCommandAsync("desk-cam-001", "camera.stream_stop", timeout: TimeSpan.FromSeconds(10));
        Assert.False(stopped.Result.GetProperty("streaming").GetBoolean());
        Assert.True(stopped.Result.GetProperty("frames_sent").GetInt64() >= 5);
    }
}
