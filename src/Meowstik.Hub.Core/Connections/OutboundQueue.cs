using System.Threading.Channels;
using Meowstik.Hub.Streams;

namespace Meowstik.Hub.Connections;

/// <summary>
/// A connection's outbound queue, drained by its own send loop so that routing never waits for a socket. Control messages
/// (responses, commands, events, errors) and stream chunks are bounded separately: a full control queue means the client is
/// stuck (the caller closes it), a full stream queue just drops the chunk; video uses <see cref="VideoSlot"/>s (newest wins).
/// </summary>
internal sealed class OutboundQueue
{
    private readonly Channel<OutboundItem> _channel = Channel.CreateUnbounded<OutboundItem>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });

    private readonly int _controlCapacity;
    private readonly int _streamCapacity;
    private int _control;
    private int _stream;

    public OutboundQueue(int controlCapacity, int streamCapacity)
    {
        _controlCapacity = controlCapacity;
        _streamCapacity = streamCapacity;
    }

    /// <summary>Control messages waiting.</summary>
    public int ControlCount => Volatile.Read(ref _control);

    /// <summary>Queues a control message (taking a reference to it).</summary>
    public EnqueueResult TryEnqueue(OutboundMessage message) => Enqueue(message, ref _control, _controlCapacity, isStream: false);

    /// <summary>Queues an audio/data stream chunk (taking a reference); <see cref="EnqueueResult.Full"/> means it was dropped.</summary>
    public EnqueueResult TryEnqueueStream(OutboundMessage message) => Enqueue(message, ref _stream, _streamCapacity, isStream: true);

    /// <summary>Puts a video frame into its slot (taking a reference); an unsent older frame is dropped.</summary>
    public EnqueueResult TryEnqueueVideo(VideoSlot slot, OutboundMessage frame)
    {
        frame.AddReference();
        OutboundMessage? replaced = slot.Exchange(frame);
        if (replaced is not null)
        {
            // A wake-up for this slot is already queued; it will send the newest frame.
            replaced.Release();
            return EnqueueResult.Superseded;
        }
        if (_channel.Writer.TryWrite(new OutboundItem(null, slot, IsStream: true))) return EnqueueResult.Queued;
        slot.Exchange(null)?.Release();
        return EnqueueResult.Closed;
    }

    /// <summary>Waits until an item can be read; false once completed and empty.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Takes the next message to send (the caller sends and releases it); skips video wake-ups whose slot was emptied.</summary>
    public bool TryDequeue(out OutboundMessage message)
    {
        while (_channel.Reader.TryRead(out OutboundItem item))
        {
            if (item.Slot is not null)
            {
                OutboundMessage? frame = item.Slot.Exchange(null);
                if (frame is null) continue;
                message = frame;
                return true;
            }
            if (item.IsStream) Interlocked.Decrement(ref _stream);
            else Interlocked.Decrement(ref _control);
            message = item.Message!;
            return true;
        }
        message = null!;
        return false;
    }

    /// <summary>Stops accepting messages; the send loop drains or discards what is queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Releases everything still queued (after the send loop stopped).</summary>
    public void DiscardAll()
    {
        while (TryDequeue(out OutboundMessage message)) message.Release();
    }

    private EnqueueResult Enqueue(OutboundMessage message, ref int count, int capacity, bool isStream)
    {
        if (Interlocked.Increment(ref count) > capacity)
        {
            Interlocked.Decrement(ref count);
            return EnqueueResult.Full;
        }
        message.AddReference();
        if (_channel.Writer.TryWrite(new OutboundItem(message, null, isStream))) return EnqueueResult.Queued;
        Interlocked.Decrement(ref count);
        message.Release();
        return EnqueueResult.Closed;
    }
}
