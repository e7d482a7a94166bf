using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Outbox;

public class RingBufferTests
{
    [Fact]
    public void Wraps_around_and_keeps_fifo_order()
    {
        var ring = new RingBuffer<int>(3);
        for (int round = 0; round < 5; round++)
        {
            ring.PushBack(round * 10);
            ring.PushBack(round * 10 + 1);
            Assert.True(ring.TryPopFront(out int a));
            Assert.True(ring.TryPopFront(out int b));
            Assert.Equal((round * 10, round * 10 + 1), (a, b));
        }

        Assert.False(ring.TryPopFront(out _));
    }

    [Fact]
    public void PushFront_puts_an_item_at_the_head_and_full_buffers_refuse()
    {
        var ring = new RingBuffer<string>(2);
        ring.PushBack("b");
        ring.PushFront("a");
        Assert.True(ring.IsFull);
        Assert.Throws<InvalidOperationException>(() => ring.PushBack("c"));
        Assert.Throws<InvalidOperationException>(() => ring.PushFront("c"));
        ring.TryPopFront(out string? first);
        ring.TryPopFront(out string? second);
        Assert.Equal(("a", "b"), (first, second));
    }
}
