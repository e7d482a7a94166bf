using System.Diagnostics.Metrics;
using System.Text.Json;
using Meowstik.Agent.Camera.OpenCv;
using Meowstik.Protocol;
using OpenCvSharp;

namespace Meowstik.Agent.Camera.Tests;

/// <summary>The capability over the OpenCV source reading a generated MJPG .avi (30 frames, 320x240).</summary>
public sealed class CameraCapabilityTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"meowstik-camera-snaps-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, true);
        }
    }

    private CameraCapability Create(Action<CameraOptions>? configure = null, IMeterFactory? meters = null)
    {
        var options = new CameraOptions { Device = TestMedia.VideoPath, SnapshotFolder = _folder };
        configure?.Invoke(options);
        return new CameraCapability(new OpenCvCameraSource(options.Device), options, timeProvider: TimeProvider.System, meterFactory: meters);
    }

    private static MeshJson Params(Action<Utf8JsonWriter> write) => MeshJson.Object(write);

    [Fact]
    public async Task A_snapshot_is_an_inline_jpeg_with_its_size()
    {
        using CameraCapability camera = Create();
        await using var harness = new CapabilityHarness(camera);
        CommandResult result = await harness.QueryAsync("camera.snapshot");
        Assert.True(result.IsSuccess, result.ErrorMessage);
        JsonElement r = result.Result.ToElement();
        Assert.Equal((320, 240, "jpeg"), (r.GetProperty("width").GetInt32(), r.GetProperty("height").GetInt32(), r.GetProperty("codec").GetString()));
        byte[] jpeg = r.GetProperty("data").GetBytesFromBase64();
        Assert.Equal(jpeg.Length, r.GetProperty("bytes").GetInt32());
        using Mat image = TestMedia.Decode(jpeg);
        Assert.Equal((320, 240), (image.Width, image.Height));
    }

    [Fact]
    public async Task Max_size_scales_the_snapshot_and_quality_changes_its_bytes()
    {
        using CameraCapability camera = Create();
        await using var harness = new CapabilityHarness(camera);
        CommandResult small = await harness.QueryAsync("camera.snapshot", Params(w => { w.WriteNumber("max_width", 160); w.WriteNumber("quality", 90); }));
        JsonElement s = small.Result.ToElement();
        Assert.Equal((160, 120), (s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32()));
        using (Mat image = TestMedia.Decode(s.GetProperty("data").GetBytesFromBase64()))
        {
            Assert.Equal((160, 120), (image.Width, image.Height));
        }

        CommandResult low = await harness.QueryAsync("camera.snapshot", Params(w => w.WriteNumber("quality", 5)));
        CommandResult high = await harness.QueryAsync("camera.snapshot", Params(w => w.WriteNumber("quality", 100)));
        Assert.True(low.Result.ToElement().GetProperty("bytes").GetInt32() < high.Result.ToElement().GetProperty("bytes").GetInt32());
    }

    [Fact]
    public async Task An_image_ref_snapshot_is_saved_in_the_folder_and_old_ones_are_pruned()
    {
        using CameraCapability camera = Create(o => o.SnapshotKeep = 2);
        await using var harness = new CapabilityHarness(camera);
        string? last = null;
        for (int i = 0; i < 3; i++)
        {
            CommandResult result = await harness.QueryAsync("camera.snapshot", Params(w => w.WriteString("output", "image_ref")));
            Assert.True(result.IsSuccess, result.ErrorMessage);
            JsonElement r = result.Result.ToElement();
            Assert.False(r.TryGetProperty("data", out _));
            Assert.Equal((320, 240), (r.GetProperty("width").GetInt32(), r.GetProperty("height").GetInt32()));
            last = r.GetProperty("image_ref").GetString();
        }

        string[] files = Directory.GetFiles(_folder);
        Assert.Equal(2, files.Length);
        string path = Path.Combine(_folder, last!);
        Assert.Contains(path, files);
        using Mat image = TestMedia.Decode(File.ReadAllBytes(path));
        Assert.Equal((320, 240), (image.Width, image.Height));
    }

    [Fact]
    public async Task Bad_parameters_and_limits_are_refused_with_codes()
    {
        using CameraCapability camera = Create(o => { o.SnapshotFolder = null; o.MaxInlineBytes = 1024; });
        await using var harness = new CapabilityHarness(camera);
        CommandResult quality = await harness.QueryAsync("camera.snapshot", Params(w => w.WriteNumber("quality", 0)));
        Assert.Equal(CameraCapability.InvalidParamsError, quality.ErrorCode);
        Assert.Contains("'quality'", quality.ErrorMessage);
        CommandResult output = await harness.QueryAsync("camera.snapshot", Params(w => w.WriteString("output", "email")));
        Assert.Equal(CameraCapability.InvalidParamsError, output.ErrorCode);
        CommandResult noFolder = await harness.QueryAsync("camera.snapshot", Params(w => w.WriteString("output", "image_ref")));
        Assert.Equal(CameraCapability.NoSnapshotFolderError, noFolder.ErrorCode);
        CommandResult tooLarge = await harness.QueryAsync("camera.snapshot", Params(w => w.WriteNumber("quality", 100)));
        Assert.Equal(CameraCapability.TooLargeError, tooLarge.ErrorCode);
        CommandResult fps = await harness.CommandAsync("camera.stream_start", Params(w => w.WriteNumber("fps", 500)));
        Assert.Equal(CameraCapability.InvalidParamsError, fps.ErrorCode);
        CommandResult resolution = await harness.CommandAsync("camera.stream_start", Params(w => w.WriteString("resolution", "big")));
        Assert.Equal(CameraCapability.InvalidParamsError, resolution.ErrorCode);
        Assert.False(camera.IsStreaming);

        // Streams change state: a query may not start one.
        CommandResult asQuery = await harness.QueryAsync("camera.stream_start");
        Assert.Equal(MeshErrorCodes.Forbidden, asQuery.ErrorCode);
    }

    [Fact]
    public async Task A_missing_camera_answers_camera_unavailable()
    {
        using var camera = new CameraCapability(new OpenCvCameraSource("/nonexistent/meowstik.avi"), new CameraOptions());
        await using var harness = new CapabilityHarness(camera);
        CommandResult result = await harness.QueryAsync("camera.snapshot");
        Assert.Equal(CameraException.UnavailableCode, result.ErrorCode);
    }

    [Fact]
    public async Task A_stream_sends_video_chunks_with_increasing_frame_indices()
    {
        using CameraCapability camera = Create();
        await using var harness = new CapabilityHarness(camera);
        CommandResult started = await harness.CommandAsync("camera.stream_start", Params(w => { w.WriteNumber("fps", 30); w.WriteString("resolution", "160x120"); w.WriteNumber("quality", 70); }));
        Assert.True(started.IsSuccess, started.ErrorMessage);
        Assert.True(camera.IsStreaming);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (harness.Publisher.StreamChunks.Count < 10)
        {
            await Task.Delay(10, timeout.Token);
        }

        CommandResult stopped = await harness.CommandAsync("camera.stream_stop");
        Assert.False(stopped.Result.ToElement().GetProperty("streaming").GetBoolean());
        Assert.False(camera.IsStreaming);
        IReadOnlyList<OutgoingStreamChunk> chunks = harness.Publisher.StreamChunks;
        Assert.All(chunks, c => Assert.Equal(("video", "jpeg", 160, 120), (c.StreamType, c.Codec, c.Width!.Value, c.Height!.Value)));
        long[] indices = [.. chunks.Select(c => c.FrameIndex!.Value)];
        Assert.Equal(0, indices[0]);
        Assert.True(indices.Zip(indices.Skip(1)).All(p => p.Second > p.First), string.Join(",", indices));
        using Mat image = TestMedia.Decode(chunks[^1].Data.Span);
        Assert.Equal((160, 120), (image.Width, image.Height));
        Assert.Equal(chunks.Count, stopped.Result.ToElement().GetProperty("frames_sent").GetInt64());

        int after = harness.Publisher.StreamChunks.Count;
        await Task.Delay(200);
        Assert.Equal(after, harness.Publisher.StreamChunks.Count); // nothing after stop
    }

    [Fact]
    public async Task A_slow_link_drops_frames_newest_first_and_never_holds_more_than_the_limit()
    {
        using var meters = new TestMeterFactory();
        long meterDrops = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == CameraMetrics.FramesDropped)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref meterDrops, value));
        listener.Start();

        using CameraCapability camera = Create(o => o.MaxFramesInFlight = 2, meters);
        var link = new SlowMeshPublisher();
        CommandResult started = await camera.HandleAsync(
            new CommandContext(CommandKind.Command, "camera.stream_start", "m1", "controller-001", JsonDocument.Parse("""{"fps":30}""").RootElement, default, link), CancellationToken.None);
        Assert.True(started.IsSuccess, started.ErrorMessage);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (camera.FramesDropped < 5)
        {
            await Task.Delay(10, timeout.Token);
        }

        // The link took two frames and holds them; the rest were dropped (one more may be waiting).
        Assert.Equal(2, link.Published);
        Assert.Equal(2, link.Held);

        // The link catches up: the waiting frame (the newest) goes out, and streaming continues.
        link.Hold = false;
        link.ReleaseAll();
        while (link.Published < 8)
        {
            await Task.Delay(10, timeout.Token);
        }

        CommandResult status = await camera.HandleAsync(
            new CommandContext(CommandKind.Query, "camera.status", "m2", "controller-001", default, default, link), CancellationToken.None);
        JsonElement s = status.Result.ToElement();
        Assert.True(s.GetProperty("streaming").GetBoolean());
        Assert.True(s.GetProperty("frames_dropped").GetInt64() >= 5);

        await camera.HandleAsync(new CommandContext(CommandKind.Command, "camera.stream_stop", "m3", "controller-001", default, default, link), CancellationToken.None);
        listener.RecordObservableInstruments();
        Assert.Equal(camera.FramesDropped, Interlocked.Read(ref meterDrops));
        Assert.InRange(camera.PeakInFlight, 1, 2);
        Assert.Equal(0, link.DoubleReleases);
        long[] indices = [.. link.Indices];
        Assert.True(indices.Zip(indices.Skip(1)).All(p => p.Second > p.First), string.Join(",", indices));
        // The frame sent after the release is newer than those dropped while the link was stuck: a gap in the indices.
        Assert.True(indices[2] - indices[1] > 1, string.Join(",", indices));
    }

    [Fact]
    public async Task Frames_the_link_still_holds_when_the_stream_stops_are_released_later_without_harm()
    {
        using CameraCapability camera = Create();
        var link = new SlowMeshPublisher();
        await camera.HandleAsync(new CommandContext(CommandKind.Command, "camera.stream_start", "m1", "controller-001", JsonDocument.Parse("""{"fps":30}""").RootElement, default, link), CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (link.Held < 2)
        {
            await Task.Delay(10, timeout.Token);
        }

        CommandResult stopped = await camera.HandleAsync(new CommandContext(CommandKind.Command, "camera.stream_stop", "m2", "controller-001", default, default, link), CancellationToken.None);
        Assert.Equal(2, stopped.Result.ToElement().GetProperty("frames_sent").GetInt64());
        link.ReleaseAll(); // the agent writes them after the stop: the leases come back to a stopped streamer
        Assert.Equal(0, link.DoubleReleases);
        Assert.Equal(2, link.Published);

        // A new stream starts cleanly after it.
        link.Hold = false;
        await camera.HandleAsync(new CommandContext(CommandKind.Command, "camera.stream_start", "m3", "controller-001", JsonDocument.Parse("""{"fps":30}""").RootElement, default, link), CancellationToken.None);
        while (link.Published < 5)
        {
            await Task.Delay(10, timeout.Token);
        }

        await camera.HandleAsync(new CommandContext(CommandKind.Command, "camera.stream_stop", "m4", "controller-001", default, default, link), CancellationToken.None);
        Assert.Equal(link.Published, camera.FramesSent);
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (Meter meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
