using System.Text.Json;

namespace Meowstik.Agent.Tests.Subscriptions;

/// <summary><see cref="MeshAgent.SubscribeEvents"/> and <see cref="MeshAgent.SubscribeStream"/> fed through the agent's receive path.</summary>
public sealed class MeshAgentSubscriptionTests
{
    private static MeshEvent Event(string from, string name, int seq = 0) =>
        new(from, name, JsonDocument.Parse($$$"""{"event":"{{{name}}}","data":{"seq":{{{seq}}}}}""").RootElement.Clone(), DateTimeOffset.UnixEpoch);

    private static MeshStreamChunk Chunk(string from, string type, int index) =>
        new(from, type, index, null, new byte[] { (byte)index }, default, DateTimeOffset.UnixEpoch);

    private static List<T> Drain<T>(MeshSubscription<T> subscription, int max = 100)
    {
        // Everything buffered, without waiting for more (the items were delivered synchronously).
        var items = new List<T>();
        IAsyncEnumerator<T> e = subscription.GetAsyncEnumerator();
        while (items.Count < max)
        {
            ValueTask<bool> next = e.MoveNextAsync();
            if (!next.IsCompleted || !next.Result)
            {
                break;
            }

            items.Add(e.Current);
        }

        return items;
    }

    [Fact]
    public async Task Event_subscriptions_filter_by_sender_and_name()
    {
        await using MeshAgent agent = TestAgents.Idle();
        IInboundTarget inbound = agent;
        using MeshSubscription<MeshEvent> all = agent.SubscribeEvents();
        using MeshSubscription<MeshEvent> fromCar = agent.SubscribeEvents("car-001");
        using MeshSubscription<MeshEvent> trips = agent.SubscribeEvents(eventName: "trip_started");
        using MeshSubscription<MeshEvent> carTrips = agent.SubscribeEvents("car-001", "trip_started");
        using MeshSubscription<MeshEvent> hubNotices = agent.SubscribeEvents("hub");

        inbound.Deliver(Event("car-001", "trip_started", 1));
        inbound.Deliver(Event("car-001", "odometer", 2));
        inbound.Deliver(Event("tv-001", "trip_started", 3));
        inbound.Deliver(Event("hub", "device_connected", 4));

        static int[] Seqs(MeshSubscription<MeshEvent> s) => [.. Drain(s).Select(e => e.Data.GetProperty("seq").GetInt32())];
        Assert.Equal([1, 2, 3, 4], Seqs(all));
        Assert.Equal([1, 2], Seqs(fromCar));
        Assert.Equal([1, 3], Seqs(trips));
        Assert.Equal([1], Seqs(carTrips));
        Assert.Equal([4], Seqs(hubNotices));
    }

    [Fact]
    public async Task Stream_subscriptions_filter_by_device_and_type_and_the_event_still_fires()
    {
        await using MeshAgent agent = TestAgents.Idle();
        IInboundTarget inbound = agent;
        var raised = new List<long>();
        agent.StreamReceived += (_, c) => raised.Add(c.Index);
        using MeshSubscription<MeshStreamChunk> audio = agent.SubscribeStream(streamType: "audio");
        using MeshSubscription<MeshStreamChunk> carVideo = agent.SubscribeStream("car-001", "video");

        inbound.Deliver(Chunk("car-001", "audio", 1));
        inbound.Deliver(Chunk("car-001", "video", 2));
        inbound.Deliver(Chunk("cam-001", "video", 3));
        inbound.Deliver(Chunk("cam-001", "audio", 4));

        Assert.Equal([1L, 4L], Drain(audio).Select(c => c.Index));
        Assert.Equal([2L], Drain(carVideo).Select(c => c.Index));
        Assert.Equal([1L, 2L, 3L, 4L], raised);
    }

    [Fact]
    public async Task Disposing_a_subscription_ends_its_enumeration_and_stops_delivery_to_it()
    {
        await using MeshAgent agent = TestAgents.Idle();
        IInboundTarget inbound = agent;
        MeshSubscription<MeshEvent> subscription = agent.SubscribeEvents();
        inbound.Deliver(Event("car-001", "a", 1));

        var seen = new System.Collections.Concurrent.ConcurrentQueue<int>();
        Task reading = Task.Run(async () =>
        {
            await foreach (MeshEvent e in subscription)
            {
                seen.Enqueue(e.Data.GetProperty("seq").GetInt32());
            }
        });

        await WaitUntil(() => seen.Count == 1);
        subscription.Dispose();
        await reading.WaitAsync(TimeSpan.FromSeconds(5));
        inbound.Deliver(Event("car-001", "b", 2));
        Assert.Equal([1], seen);
        Assert.False(subscription.TryPublish(Event("car-001", "c", 3)));
    }

    [Fact]
    public async Task A_slow_subscriber_loses_the_oldest_items_and_counts_them()
    {
        MeshAgentOptions options = TestAgents.Options();
        options.SubscriptionCapacity = 4;
        await using var agent = new MeshAgent(options);
        IInboundTarget inbound = agent;
        using MeshSubscription<MeshEvent> slow = agent.SubscribeEvents();

        for (int i = 0; i < 10; i++)
        {
            inbound.Deliver(Event("car-001", "tick", i));
        }

        Assert.Equal(6, slow.Dropped);
        Assert.Equal([6, 7, 8, 9], Drain(slow).Select(e => e.Data.GetProperty("seq").GetInt32()));
    }

    [Fact]
    public async Task Disposing_the_agent_completes_every_subscription_and_refuses_new_ones()
    {
        var agent = TestAgents.Idle();
        IInboundTarget inbound = agent;
        MeshSubscription<MeshEvent> events = agent.SubscribeEvents();
        MeshSubscription<MeshStreamChunk> chunks = agent.SubscribeStream();
        inbound.Deliver(Event("car-001", "last", 1));
        Task<List<MeshEvent>> readEvents = ReadAllAsync(events);
        Task<List<MeshStreamChunk>> readChunks = ReadAllAsync(chunks);

        await agent.DisposeAsync();

        // Enumeration ends after what was buffered.
        Assert.Single(await readEvents.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(await readChunks.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Throws<ObjectDisposedException>(() => agent.SubscribeEvents());
        Assert.Throws<ObjectDisposedException>(() => agent.SubscribeStream());
    }

    private static async Task<List<T>> ReadAllAsync<T>(MeshSubscription<T> subscription)
    {
        var items = new List<T>();
        await foreach (T item in subscription)
        {
            items.Add(item);
        }

        return items;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        DateTime end = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < end, "condition not reached in time");
            await Task.Delay(10);
        }
    }
}
