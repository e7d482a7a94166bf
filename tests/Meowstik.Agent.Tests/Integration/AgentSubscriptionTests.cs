using System.Text.Json;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>An agent's <c>await foreach</c> subscriptions fed by what another agent sends through the real hub.</summary>
public sealed class AgentSubscriptionTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly ILoggerFactory _logs;
    private readonly List<(MeshAgent Agent, Task Run, CancellationTokenSource Stop)> _agents = [];
    private MeshTestHub _hub = null!;

    public AgentSubscriptionTests(ITestOutputHelper output)
    {
        _logs = XunitLoggerProvider.Factory(output);
    }

    public async Task InitializeAsync() => _hub = await MeshTestHub.StartAsync();

    public async Task DisposeAsync()
    {
        foreach ((MeshAgent agent, Task run, CancellationTokenSource stop) in _agents)
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
            await agent.DisposeAsync();
            stop.Dispose();
        }

        await _hub.DisposeAsync();
    }

    private async Task<MeshAgent> StartAsync(string deviceId, string token)
    {
        var agent = new MeshAgent(new MeshAgentOptions { HubUri = _hub.MeshUri, DeviceId = deviceId, Token = token }, [], _logs);
        var stop = new CancellationTokenSource();
        _agents.Add((agent, agent.RunAsync(stop.Token), stop));
        await agent.WaitUntilOnlineAsync().WaitAsync(Wait);
        return agent;
    }

    private static async Task<List<T>> TakeAsync<T>(MeshSubscription<T> subscription, int count, Func<T, bool>? where = null)
    {
        var items = new List<T>();
        using var timeout = new CancellationTokenSource(Wait);
        await foreach (T item in subscription.WithCancellation(timeout.Token))
        {
            if (where is not null && !where(item))
            {
                continue;
            }

            items.Add(item);
            if (items.Count == count)
            {
                break;
            }
        }

        return items;
    }

    [Fact]
    public async Task A_subscription_receives_another_agents_broadcast_through_the_hub_filtered()
    {
        MeshAgent car = await StartAsync("comma3x-001", await _hub.IssueDeviceTokenAsync("comma3x-001"));
        MeshAgent phone = await StartAsync("phone-001", await _hub.IssueCreatorTokenAsync("Jason"));
        using MeshSubscription<MeshEvent> trips = phone.SubscribeEvents("comma3x-001", "trip_started");
        using MeshSubscription<MeshEvent> fromOthers = phone.SubscribeEvents("tv-001");
        using MeshSubscription<MeshEvent> everything = phone.SubscribeEvents();

        car.PublishEvent("odometer", MeshJson.Object(w => w.WriteNumber("km", 1)), to: DeviceId.Broadcast);
        car.PublishEvent("trip_started", MeshJson.Object(w => w.WriteString("destination", "Ocean Shores Tech")), to: DeviceId.Broadcast);

        MeshEvent trip = Assert.Single(await TakeAsync(trips, 1));
        Assert.Equal(("comma3x-001", "trip_started"), (trip.From, trip.Name));
        Assert.Equal("Ocean Shores Tech", trip.Data.GetProperty("destination").GetString());

        // The unfiltered one sees both, in order (and may also see the hub's own notices, skipped here).
        List<MeshEvent> both = await TakeAsync(everything, 2, e => e.From == "comma3x-001");
        Assert.Equal(["odometer", "trip_started"], both.Select(e => e.Name));

        // Nothing from another sender arrived for the filtered subscription, and disposing it removes it.
        Assert.Equal(0, fromOthers.Dropped);
        fromOthers.Dispose();
        Assert.Empty(await TakeAsync(fromOthers, 1));
    }

    [Fact]
    public async Task A_stream_subscription_receives_the_chunks_of_a_stream_asked_for_at_the_hub()
    {
        MeshAgent car = await StartAsync("comma3x-001", await _hub.IssueDeviceTokenAsync("comma3x-001"));
        MeshAgent phone = await StartAsync("phone-001", await _hub.IssueCreatorTokenAsync("Jason"));
        using MeshSubscription<MeshStreamChunk> audio = phone.SubscribeStream("comma3x-001", "audio");
        using MeshSubscription<MeshStreamChunk> video = phone.SubscribeStream(streamType: "video");

        MeshReply subscribed = await phone.SendCommandAsync(DeviceId.Hub, "subscribe_stream",
            MeshJson.Object(w => { w.WriteString("device_id", "comma3x-001"); w.WriteString("stream_type", "audio"); }), Wait);
        Assert.True(subscribed.Result.GetProperty("subscribed").GetBoolean(), subscribed.Payload.GetRawText());

        for (int i = 0; i < 3; i++)
        {
            Assert.True(car.PublishStreamChunk(new OutgoingStreamChunk { StreamType = "audio", Codec = "opus", ChunkIndex = i, Data = new byte[] { (byte)i, 0xAA } }));
        }

        List<MeshStreamChunk> chunks = await TakeAsync(audio, 3);
        Assert.Equal([0L, 1L, 2L], chunks.Select(c => c.Index));
        Assert.All(chunks, c => Assert.Equal(("comma3x-001", "audio", "opus"), (c.From, c.StreamType, c.Codec)));
        Assert.Equal(new byte[] { 2, 0xAA }, chunks[2].Data.ToArray());
        Assert.Empty(await TakeWithinAsync(video, TimeSpan.FromMilliseconds(200)));
    }

    private static async Task<List<T>> TakeWithinAsync<T>(MeshSubscription<T> subscription, TimeSpan window)
    {
        var items = new List<T>();
        using var timeout = new CancellationTokenSource(window);
        try
        {
            await foreach (T item in subscription.WithCancellation(timeout.Token))
            {
                items.Add(item);
            }
        }
        catch (OperationCanceledException)
        {
            // The window closed.
        }

        return items;
    }
}
