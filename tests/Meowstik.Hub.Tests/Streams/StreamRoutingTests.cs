using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Meowstik.Protocol;

namespace Meowstik.Hub.Tests.Streams;

public sealed class StreamRoutingTests
{
    [Fact]
    public async Task Subscribers_get_chunks_in_their_announced_format()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient camera = await host.ConnectDeviceAsync("desktop-001");
        await using TestMeshClient jsonViewer = await host.ConnectUserAsync(MeshRole.Creator, "tablet-json");
        IssuedToken binaryToken = await host.IssueTokenAsync(MeshRole.Creator, "tablet-binary");
        await using TestMeshClient binaryViewer = await host.ConnectAsync(binaryToken.Secret);
        await binaryViewer.RegisterAsync("tablet-binary", [], features: ["binary_streams"]);

        foreach (TestMeshClient viewer in new[] { jsonViewer, binaryViewer })
        {
            await viewer.SendAsync("""{"id":"sub","type":"command","to":"hub","payload":{"action":"subscribe_stream","params":{"device_id":"desktop-001","stream_type":"video"}}}""");
            JsonElement ack = await viewer.ReceiveAsync(m => m.Str("correlation_id") == "sub");
            Assert.True(ack.Payload().GetProperty("result").GetProperty("subscribed").GetBoolean());
        }

        byte[] frame = Encoding.ASCII.GetBytes("JPEG-FRAME-BYTES");
        await camera.SendAsync($$$"""{"id":"f1","type":"stream","payload":{"stream_type":"video","codec":"jpeg","width":1920,"height":1080,"frame_index":1,"data":"{{{Convert.ToBase64String(frame)}}}"}}""");

        JsonElement json = await jsonViewer.ReceiveTypeAsync("stream");
        Assert.Equal("desktop-001", json.Str("from"));
        Assert.Equal(frame, Convert.FromBase64String(json.Payload().Str("data")!));

        byte[] binary = await binaryViewer.ReceiveBinaryAsync();
        Assert.True(BinaryStreamFrame.TryRead(binary, out BinaryStreamFrame parsed, out _));
        Assert.True(parsed.TryGetContiguousData(out ReadOnlySpan<byte> data));
        Assert.Equal(frame, data.ToArray());
        Assert.True(parsed.Header.From.ValueEquals("desktop-001"u8));
    }

    [Fact]
    public async Task Binary_frames_from_a_device_reach_json_subscribers_and_the_host_decoded()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        using MeshSubscription<MeshStreamChunk> hostAudio = host.Hub.SubscribeStream("phone-001", "audio");
        IssuedToken phoneToken = await host.IssueDeviceAsync("phone-001");
        await using TestMeshClient phone = await host.ConnectAsync(phoneToken.Secret);
        await phone.RegisterAsync("phone-001", ["audio_in"], features: ["binary_streams"]);
        await using TestMeshClient listener = await host.ConnectUserAsync(MeshRole.Creator, "speaker-001");
        await listener.SendAsync("""{"id":"sub","type":"command","to":"hub","payload":{"action":"subscribe_stream","params":{"device_id":"phone-001","stream_type":"audio"}}}""");
        await listener.ReceiveAsync(m => m.Str("correlation_id") == "sub");

        byte[] samples = [1, 2, 3, 4, 5, 250, 251, 252];
        var output = new Meowstik.Protocol.PooledBufferWriter();
        BinaryStreamFrame.Write(output, """{"type":"stream","payload":{"stream_type":"audio","codec":"opus","sample_rate":48000,"chunk_index":42}}"""u8, samples);
        await phone.SendRawAsync(output.WrittenMemory.ToArray(), WebSocketMessageType.Binary);

        JsonElement chunk = await listener.ReceiveTypeAsync("stream");
        Assert.Equal("phone-001", chunk.Str("from"));
        Assert.Equal(42, chunk.Payload().GetProperty("chunk_index").GetInt32());
        Assert.Equal(samples, Convert.FromBase64String(chunk.Payload().Str("data")!));

        using var timeout = new CancellationTokenSource(TestMeshClient.DefaultTimeout);
        await using IAsyncEnumerator<MeshStreamChunk> chunks = hostAudio.GetAsyncEnumerator(timeout.Token);
        Assert.True(await chunks.MoveNextAsync());
        Assert.Equal(samples, chunks.Current.Data.ToArray());
        Assert.Equal("opus", chunks.Current.Codec);
        Assert.Equal(42, chunks.Current.Index);
        Assert.Equal(48000, chunks.Current.Metadata.GetProperty("sample_rate").GetInt32());
    }

    [Fact]
    public async Task Large_frames_spanning_many_receive_segments_are_stamped_and_converted_intact()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken cameraToken = await host.IssueDeviceAsync("camera-001");
        await using TestMeshClient camera = await host.ConnectAsync(cameraToken.Secret);
        await camera.RegisterAsync("camera-001", ["front_camera"], features: ["binary_streams"]);
        await using TestMeshClient jsonViewer = await host.ConnectUserAsync(MeshRole.Creator, "tablet-json");
        IssuedToken binaryToken = await host.IssueTokenAsync(MeshRole.Creator, "tablet-binary");
        await using TestMeshClient binaryViewer = await host.ConnectAsync(binaryToken.Secret);
        await binaryViewer.RegisterAsync("tablet-binary", [], features: ["binary_streams"]);
        foreach (TestMeshClient viewer in new[] { jsonViewer, binaryViewer })
        {
            await viewer.SendAsync("""{"id":"sub","type":"command","to":"hub","payload":{"action":"subscribe_stream","params":{"device_id":"camera-001","stream_type":"video"}}}""");
            await viewer.ReceiveAsync(m => m.Str("correlation_id") == "sub");
        }

        byte[] frame = new byte[200_000];
        new Random(42).NextBytes(frame);
        var output = new Meowstik.Protocol.PooledBufferWriter();
        // No from, id or timestamp: the hub rebuilds the header in front of the 200 KB body.
        BinaryStreamFrame.Write(output, """{"type":"stream","payload":{"stream_type":"video","codec":"jpeg","frame_index":7}}"""u8, frame);
        await camera.SendRawAsync(output.WrittenMemory.ToArray(), WebSocketMessageType.Binary);

        byte[] binary = await binaryViewer.ReceiveBinaryAsync();
        Assert.True(BinaryStreamFrame.TryRead(binary, out BinaryStreamFrame parsed, out _));
        Assert.True(parsed.Header.From.ValueEquals("camera-001"u8));
        Assert.True(parsed.Header.Id.IsPresent && parsed.Header.Timestamp.IsPresent);
        Assert.True(parsed.TryGetContiguousData(out ReadOnlySpan<byte> data));
        Assert.True(data.SequenceEqual(frame));

        JsonElement json = await jsonViewer.ReceiveTypeAsync("stream");
        Assert.Equal("camera-001", json.Str("from"));
        Assert.Equal(frame, Convert.FromBase64String(json.Payload().Str("data")!));
    }

    [Fact]
    public async Task Index_gaps_are_counted_per_stream()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient phone = await host.ConnectDeviceAsync("phone-001");
        using MeshSubscription<MeshStreamChunk> hostAudio = host.Hub.SubscribeStream("phone-001", "audio");
        foreach (int index in new[] { 1, 2, 5, 6, 9 })
        {
            await phone.SendAsync($$$"""{"type":"stream","payload":{"stream_type":"audio","chunk_index":{{{index}}},"data":"AAAA"}}""");
        }
        using var timeout = new CancellationTokenSource(TestMeshClient.DefaultTimeout);
        int seen = 0;
        await foreach (MeshStreamChunk _ in hostAudio.WithCancellation(timeout.Token))
        {
            if (++seen == 5) break;
        }
        Assert.Equal(4, host.Hub.StreamGapCount);
    }

    [Fact]
    public async Task Unsubscribed_devices_and_disallowed_observers_get_nothing()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient camera = await host.ConnectDeviceAsync("camera-001");
        await using TestMeshClient guest = await host.ConnectUserAsync(MeshRole.Guest, "guest-phone");
        await guest.SendAsync("""{"id":"sub","type":"command","to":"hub","payload":{"action":"subscribe_stream","params":{"device_id":"camera-001","stream_type":"video"}}}""");
        Assert.Equal("forbidden", (await guest.ReceiveAsync(m => m.Str("correlation_id") == "sub")).ErrorCode());

        await camera.SendAsync("""{"type":"stream","payload":{"stream_type":"video","frame_index":1,"data":"AAAA"}}""");
        Assert.True(await guest.NothingMatchingAsync(m => m.Type() == "stream", TimeSpan.FromMilliseconds(200)));
    }
}
