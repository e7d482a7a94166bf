using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Outbox;

public class AgentOutboxTests
{
    private sealed record Item(string Name);

    private readonly List<(string Name, OutboxDropReason Reason)> _drops = [];

    private AgentOutbox<Item> Create(int reliable = 3, int streams = 2) =>
        new(reliable, streams, (item, reason) => _drops.Add((item.Name, reason)));

    private static List<string> Drain(AgentOutbox<Item> outbox)
    {
        var names = new List<string>();
        while (outbox.TryTake(out Item item, out _))
        {
            names.Add(item.Name);
        }

        return names;
    }

    [Fact]
    public void Reliable_messages_keep_their_order_while_offline()
    {
        AgentOutbox<Item> outbox = Create(reliable: 10);
        foreach (string name in new[] { "a", "b", "c", "d" })
        {
            Assert.True(outbox.EnqueueReliable(new Item(name)));
        }

        Assert.Equal(4, outbox.Count);
        Assert.Equal(["a", "b", "c", "d"], Drain(outbox));
        Assert.Empty(_drops);
    }

    [Fact]
    public void A_full_outbox_drops_the_oldest_and_counts_each_drop()
    {
        AgentOutbox<Item> outbox = Create(reliable: 3);
        foreach (string name in new[] { "a", "b", "c", "d", "e" })
        {
            outbox.EnqueueReliable(new Item(name));
        }

        Assert.Equal(["c", "d", "e"], Drain(outbox));
        Assert.Equal([("a", OutboxDropReason.OutboxFull), ("b", OutboxDropReason.OutboxFull)], _drops);
    }

    [Fact]
    public void Stream_chunks_are_dropped_while_offline_never_queued()
    {
        AgentOutbox<Item> outbox = Create();
        Assert.False(outbox.TryEnqueueStream(new Item("frame-1")));
        Assert.Equal(0, outbox.Count);
        Assert.Equal([("frame-1", OutboxDropReason.StreamOffline)], _drops);

        outbox.SetOnline(true);
        Assert.True(outbox.TryEnqueueStream(new Item("frame-2")));
        Assert.Equal(["frame-2"], Drain(outbox));
    }

    [Fact]
    public void Going_offline_drops_queued_stream_chunks_but_keeps_reliable_messages()
    {
        AgentOutbox<Item> outbox = Create();
        outbox.SetOnline(true);
        outbox.TryEnqueueStream(new Item("frame-1"));
        outbox.EnqueueReliable(new Item("event-1"));
        outbox.TryEnqueueStream(new Item("frame-2"));

        outbox.SetOnline(false);

        Assert.Equal(1, outbox.Count);
        Assert.Equal([("frame-1", OutboxDropReason.StreamOffline), ("frame-2", OutboxDropReason.StreamOffline)], _drops);
        Assert.Equal(["event-1"], Drain(outbox));
    }

    [Fact]
    public void A_full_stream_lane_drops_the_oldest_chunk()
    {
        AgentOutbox<Item> outbox = Create(streams: 2);
        outbox.SetOnline(true);
        outbox.TryEnqueueStream(new Item("f1"));
        outbox.TryEnqueueStream(new Item("f2"));
        outbox.TryEnqueueStream(new Item("f3"));
        Assert.Equal(["f2", "f3"], Drain(outbox));
        Assert.Equal([("f1", OutboxDropReason.StreamOverflow)], _drops);
    }

    [Fact]
    public void Reliable_messages_go_before_stream_chunks()
    {
        AgentOutbox<Item> outbox = Create();
        outbox.SetOnline(true);
        outbox.TryEnqueueStream(new Item("frame"));
        outbox.EnqueueReliable(new Item("response"));
        Assert.True(outbox.TryTake(out Item first, out OutboundLane lane));
        Assert.Equal("response", first.Name);
        Assert.Equal(OutboundLane.Reliable, lane);
        Assert.True(outbox.TryTake(out Item second, out lane));
        Assert.Equal("frame", second.Name);
        Assert.Equal(OutboundLane.Stream, lane);
    }

    [Fact]
    public void An_unsent_message_returns_to_the_head_so_order_is_kept()
    {
        AgentOutbox<Item> outbox = Create(reliable: 5);
        outbox.EnqueueReliable(new Item("a"));
        outbox.EnqueueReliable(new Item("b"));
        Assert.True(outbox.TryTake(out Item inFlight, out _));
        outbox.EnqueueReliable(new Item("c"));

        outbox.ReturnUnsent(inFlight);

        Assert.Equal(["a", "b", "c"], Drain(outbox));
        Assert.Empty(_drops);
    }

    [Fact]
    public void An_unsent_message_is_the_one_dropped_when_the_outbox_filled_meanwhile()
    {
        AgentOutbox<Item> outbox = Create(reliable: 2);
        outbox.EnqueueReliable(new Item("a"));
        outbox.TryTake(out Item inFlight, out _);
        outbox.EnqueueReliable(new Item("b"));
        outbox.EnqueueReliable(new Item("c"));

        outbox.ReturnUnsent(inFlight);

        Assert.Equal(["b", "c"], Drain(outbox));
        Assert.Equal([("a", OutboxDropReason.OutboxFull)], _drops);
    }

    [Fact]
    public async Task WaitToTake_wakes_when_a_message_arrives()
    {
        AgentOutbox<Item> outbox = Create();
        ValueTask<bool> wait = outbox.WaitToTakeAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        outbox.EnqueueReliable(new Item("a"));
        Assert.True(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task WaitToTake_honours_cancellation()
    {
        AgentOutbox<Item> outbox = Create();
        using var cts = new CancellationTokenSource();
        ValueTask<bool> wait = outbox.WaitToTakeAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.AsTask());
    }

    [Fact]
    public async Task Complete_drops_what_is_left_and_refuses_more()
    {
        AgentOutbox<Item> outbox = Create();
        outbox.SetOnline(true);
        outbox.EnqueueReliable(new Item("a"));
        outbox.TryEnqueueStream(new Item("f"));
        ValueTask<bool> idle = Create().WaitToTakeAsync(CancellationToken.None);

        outbox.Complete();

        Assert.Equal([("a", OutboxDropReason.AgentStopped), ("f", OutboxDropReason.AgentStopped)], _drops);
        Assert.False(outbox.EnqueueReliable(new Item("late")));
        Assert.False(outbox.TryEnqueueStream(new Item("late-frame")));
        Assert.Equal(4, _drops.Count);
        Assert.False(await outbox.WaitToTakeAsync(CancellationToken.None));
        Assert.False(idle.IsCompleted);
    }

    [Fact]
    public void Concurrent_producers_lose_nothing_below_capacity()
    {
        AgentOutbox<Item> outbox = Create(reliable: 10_000);
        Parallel.For(0, 8, p =>
        {
            for (int i = 0; i < 1000; i++)
            {
                outbox.EnqueueReliable(new Item($"{p}:{i}"));
            }
        });

        List<string> all = Drain(outbox);
        Assert.Equal(8000, all.Count);
        for (int p = 0; p < 8; p++)
        {
            // Each producer's messages stay in its own order.
            var mine = all.Where(n => n.StartsWith($"{p}:", StringComparison.Ordinal)).Select(n => int.Parse(n[(n.IndexOf(':') + 1)..])).ToList();
            Assert.Equal(Enumerable.Range(0, 1000), mine);
        }
    }
}
