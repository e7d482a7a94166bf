using Meowstik.Agent;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Agent.Tests.Testing;

public class RecordingMeshPublisherTests
{
    [Fact]
    public async Task Records_events_chunks_and_requests_in_order()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 19, 12, 0, 0, TimeSpan.Zero));
        var mesh = new RecordingMeshPublisher("car-001", time);
        Assert.Equal("car-001", mesh.DeviceId);

        Assert.True(mesh.PublishEvent("position", MeshJson.Object(w => w.WriteNumber("lat", 47.1)), to: "broadcast"));
        RecordedEvent position = Assert.Single(mesh.Events);
        Assert.Equal(47.1, position.Data.GetProperty("lat").GetDouble());
        Assert.Equal("broadcast", position.To);
        Assert.Equal(time.GetUtcNow(), position.Timestamp);

        Assert.True(mesh.PublishStreamChunk(new OutgoingStreamChunk { StreamType = "data", Data = new byte[] { 1, 2 } }));
        mesh.IsOnline = false;
        Assert.False(mesh.PublishStreamChunk(new OutgoingStreamChunk { StreamType = "data" }));
        Assert.Equal(1, mesh.DroppedStreamChunks);
        mesh.IsOnline = true;
        Assert.Equal(2, await mesh.PublishStreamAsync(Chunks(2)));
        Assert.Equal(3, mesh.StreamChunks.Count);

        MeshRequestException unscripted = await Assert.ThrowsAsync<MeshRequestException>(() => mesh.SendCommandAsync("tv-001", "power"));
        Assert.Contains("power", unscripted.Message);
        mesh.Reply("tv-001", "power", request => MeshJson.Raw(request.Params.GetProperty("state").GetRawText()));
        MeshReply reply = await mesh.SendCommandAsync("tv-001", "power", MeshJson.Raw("""{"state":"on"}"""), TimeSpan.FromSeconds(3));
        Assert.Equal("on", reply.Result.GetString());
        Assert.Equal("ok", reply.Status);
        Assert.Equal("tv-001", reply.From);
        Assert.Equal(2, mesh.Requests.Count);
        Assert.Equal(TimeSpan.FromSeconds(3), mesh.Requests[1].Timeout);

        mesh.IsStopped = true;
        Assert.False(mesh.PublishEvent("late"));
        mesh.Clear();
        Assert.Empty(mesh.Events);
        Assert.Empty(mesh.Requests);
    }

    [Fact]
    public async Task WaitForEvent_sees_past_and_future_events()
    {
        var mesh = new RecordingMeshPublisher();
        mesh.PublishEvent("early");
        Assert.Equal("early", (await mesh.WaitForEventAsync("early")).Name);
        Task<RecordedEvent> later = mesh.WaitForEventAsync("later");
        Assert.False(later.IsCompleted);
        mesh.PublishEvent("later");
        Assert.Equal("later", (await later.WaitAsync(TimeSpan.FromSeconds(5))).Name);
    }

    private static async IAsyncEnumerable<OutgoingStreamChunk> Chunks(int count)
    {
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return new OutgoingStreamChunk { StreamType = "data", ChunkIndex = i };
        }
    }
}
