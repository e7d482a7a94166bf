using Meowstik.Hub.Core;

namespace Meowstik.Hub.Tests.Streams;

/// <summary>The per-connection queue's lanes, deterministic without sockets.</summary>
public sealed class OutboundLaneTests
{
    [Fact]
    public void Video_keeps_only_the_newest_unsent_frame()
    {
        var queue = new OutboundQueue(highWaterBytes: 1024, hardCapBytes: 4096, streamCapacity: 8);
        var slot = new VideoSlot();
        OutboundFrame[] frames = [.. Enumerable.Range(1, 3).Select(i => Message((byte)i))];

        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueueVideo(slot, frames[0]));
        Assert.Equal(EnqueueResult.Superseded, queue.TryEnqueueVideo(slot, frames[1]));
        Assert.Equal(EnqueueResult.Superseded, queue.TryEnqueueVideo(slot, frames[2]));

        Assert.True(queue.TryDequeue(out OutboundFrame sent));
        Assert.Equal(3, sent.Span[0]);
        sent.Release();
        Assert.False(queue.TryDequeue(out _));
        foreach (OutboundFrame frame in frames) frame.Release();
    }

    [Fact]
    public void Audio_is_bounded_by_count_and_never_takes_control_budget()
    {
        var queue = new OutboundQueue(highWaterBytes: 10, hardCapBytes: 20, streamCapacity: 2);
        OutboundFrame chunk = Message(7, length: 100);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueueStream(chunk));
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueueStream(chunk));
        Assert.Equal(EnqueueResult.Full, queue.TryEnqueueStream(chunk));
        // 200 bytes of audio are waiting, far over the control budget: control messages are still accepted without pressure.
        Assert.Equal(0, queue.ControlBytes);
        Assert.False(queue.IsAboveHighWater);
        OutboundFrame control = Message(1, length: 5);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(control));
        Assert.False(queue.IsAboveHighWater);
        Assert.Equal(3, Drain(queue));
        queue.Complete();
        Assert.Equal(EnqueueResult.Closed, queue.TryEnqueue(control));
        chunk.Release();
        control.Release();
    }

    [Fact]
    public async Task Control_messages_are_budgeted_in_bytes_with_pressure_until_the_low_water_mark()
    {
        var queue = new OutboundQueue(highWaterBytes: 1000, hardCapBytes: 3000, streamCapacity: 2);
        OutboundFrame message = Message(1, length: 400);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.False(queue.IsAboveHighWater);
        Assert.True(queue.WaitForDrainAsync(CancellationToken.None).IsCompletedSuccessfully);

        // Above the high-water mark the message is still accepted (nothing is lost), and senders must wait.
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.True(queue.IsAboveHighWater);
        ValueTask drained = queue.WaitForDrainAsync(CancellationToken.None);
        Assert.False(drained.IsCompleted);

        // Up to the hard cap, then Full.
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.Equal(EnqueueResult.Full, queue.TryEnqueue(message));
        Assert.Equal(2800, queue.ControlBytes);

        // The low-water mark is half the budget (500): draining to 1200 or 800 keeps the pressure, 400 releases it.
        for (int i = 0; i < 4; i++) Release(queue);
        Assert.Equal(1200, queue.ControlBytes);
        Assert.False(drained.IsCompleted);
        Release(queue);
        Assert.Equal(800, queue.ControlBytes);
        Assert.False(drained.IsCompleted);
        Release(queue);
        Assert.Equal(400, queue.ControlBytes);
        await drained.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(queue.IsAboveHighWater);
        Release(queue);
        message.Release();
    }

    [Fact]
    public async Task Completing_the_queue_releases_paused_senders()
    {
        var queue = new OutboundQueue(highWaterBytes: 100, hardCapBytes: 1000, streamCapacity: 2);
        OutboundFrame message = Message(1, length: 150);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        ValueTask drained = queue.WaitForDrainAsync(CancellationToken.None);
        Assert.False(drained.IsCompleted);
        queue.Complete();
        await drained.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, queue.DiscardAll());
        message.Release();
    }

    [Fact]
    public void A_single_message_larger_than_the_cap_is_accepted_into_an_empty_queue()
    {
        var queue = new OutboundQueue(highWaterBytes: 100, hardCapBytes: 200, streamCapacity: 2);
        OutboundFrame big = Message(1, length: 500);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(big));
        Assert.Equal(EnqueueResult.Full, queue.TryEnqueue(big));
        Assert.Equal(1, Drain(queue));
        big.Release();
    }

    private static void Release(OutboundQueue queue)
    {
        Assert.True(queue.TryDequeue(out OutboundFrame m));
        m.Release();
    }

    private static int Drain(OutboundQueue queue)
    {
        int drained = 0;
        while (queue.TryDequeue(out OutboundFrame m))
        {
            m.Release();
            drained++;
        }
        return drained;
    }

    private static OutboundFrame Message(byte marker, int length = 1)
    {
        OutboundFrame message = OutboundFrame.Rent();
        Span<byte> span = message.GetSpan(length)[..length];
        span.Fill(marker);
        message.Advance(length);
        return message;
    }
}
