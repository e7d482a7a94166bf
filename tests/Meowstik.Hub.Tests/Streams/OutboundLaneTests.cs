using Meowstik.Hub.Connections;
using Meowstik.Hub.Streams;

namespace Meowstik.Hub.Tests.Streams;

/// <summary>The per-connection queue's lanes, deterministic without sockets.</summary>
public sealed class OutboundLaneTests
{
    [Fact]
    public void Video_keeps_only_the_newest_unsent_frame()
    {
        var queue = new OutboundQueue(controlCapacity: 8, streamCapacity: 8);
        var slot = new VideoSlot();
        OutboundMessage[] frames = [.. Enumerable.Range(1, 3).Select(i => Message((byte)i))];

        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueueVideo(slot, frames[0]));
        Assert.Equal(EnqueueResult.Superseded, queue.TryEnqueueVideo(slot, frames[1]));
        Assert.Equal(EnqueueResult.Superseded, queue.TryEnqueueVideo(slot, frames[2]));

        Assert.True(queue.TryDequeue(out OutboundMessage sent));
        Assert.Equal(3, sent.Span[0]);
        sent.Release();
        Assert.False(queue.TryDequeue(out _));
        foreach (OutboundMessage frame in frames) frame.Release();
    }

    [Fact]
    public void Audio_is_bounded_and_control_overflow_is_reported()
    {
        var queue = new OutboundQueue(controlCapacity: 2, streamCapacity: 2);
        OutboundMessage message = Message(7);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueueStream(message));
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueueStream(message));
        Assert.Equal(EnqueueResult.Full, queue.TryEnqueueStream(message));
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        Assert.Equal(EnqueueResult.Full, queue.TryEnqueue(message));

        int drained = 0;
        while (queue.TryDequeue(out OutboundMessage m))
        {
            m.Release();
            drained++;
        }
        Assert.Equal(4, drained);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(message));
        queue.Complete();
        Assert.Equal(EnqueueResult.Closed, queue.TryEnqueue(message));
        queue.DiscardAll();
        message.Release();
    }

    private static OutboundMessage Message(byte marker)
    {
        OutboundMessage message = OutboundMessage.Rent();
        message.GetSpan(1)[0] = marker;
        message.Advance(1);
        return message;
    }
}
