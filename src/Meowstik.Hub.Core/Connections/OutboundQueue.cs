using System.Threading.Channels;

namespace Meowstik.Hub.Core;

/// <summary>
/// A connection's outbound queue, drained by its own send loop so that routing never waits for a socket.
/// <para>
/// Control messages (responses, commands, events, errors) are budgeted in bytes. Above the high-water mark the queue reports
/// <see cref="IsAboveHighWater"/>: the connections sending to it stop being read (see <see cref="BackpressureScope"/>) until
/// it drains to the low-water mark, so a reading device is never closed for being sent too much. Only the hard cap
/// (<see cref="EnqueueResult.Full"/>) ends a connection, and only a host-side burst or many senders at once can reach it.
/// </para>
/// <para>Stream chunks are lossy and never take budget from control messages: audio/data is bounded by count (a full
/// stream queue drops the chunk), video uses <see cref="VideoSlot"/>s (newest wins).</para>
/// </summary>
internal sealed class OutboundQueue
{
    private readonly Channel<OutboundItem> _channel = Channel.CreateUnbounded<OutboundItem>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });

    private readonly long _highWater;
    private readonly long _lowWater;
    private readonly long _hardCap;
    private readonly int _streamCapacity;
    private readonly Lock _signalLock = new();
    private long _controlBytes;
    private int _stream;
    private TaskCompletionSource? _drained;
    private volatile bool _completed;

    /// <param name="highWaterBytes">Queued control bytes above which senders to this connection are paused.</param>
    /// <param name="hardCapBytes">Queued control bytes beyond which a message is refused (the caller closes the connection).</param>
    /// <param name="streamCapacity">Audio/data stream chunks that may wait.</param>
    public OutboundQueue(long highWaterBytes, long hardCapBytes, int streamCapacity)
    {
        _highWater = highWaterBytes;
        _lowWater = highWaterBytes / 2;
        _hardCap = hardCapBytes;
        _streamCapacity = streamCapacity;
    }

    /// <summary>Control bytes waiting to be sent.</summary>
    public long ControlBytes => Interlocked.Read(ref _controlBytes);

    /// <summary>True while the queue is above its high-water mark (until it drains to the low-water mark).</summary>
    public bool IsAboveHighWater => Volatile.Read(ref _drained) is not null;

    /// <summary>Queues a control message (taking a reference to it). <see cref="EnqueueResult.Full"/> only beyond the hard cap.</summary>
    public EnqueueResult TryEnqueue(OutboundFrame message)
    {
        long size = message.Length;
        long queued = Interlocked.Add(ref _controlBytes, size);
        if (queued > _hardCap && queued != size)
        {
            // A single message larger than the cap is still accepted into an empty queue: the cap bounds a backlog, not a message.
            Interlocked.Add(ref _controlBytes, -size);
            return EnqueueResult.Full;
        }
        message.AddReference();
        if (!_channel.Writer.TryWrite(new OutboundItem(message, null, IsStream: false)))
        {
            Interlocked.Add(ref _controlBytes, -size);
            message.Release();
            return EnqueueResult.Closed;
        }
        if (queued > _highWater && Volatile.Read(ref _drained) is null) RaisePressure();
        return EnqueueResult.Queued;
    }

    /// <summary>Queues an audio/data stream chunk (taking a reference); <see cref="EnqueueResult.Full"/> means it was dropped.</summary>
    public EnqueueResult TryEnqueueStream(OutboundFrame message)
    {
        if (Interlocked.Increment(ref _stream) > _streamCapacity)
        {
            Interlocked.Decrement(ref _stream);
            return EnqueueResult.Full;
        }
        message.AddReference();
        if (_channel.Writer.TryWrite(new OutboundItem(message, null, IsStream: true))) return EnqueueResult.Queued;
        Interlocked.Decrement(ref _stream);
        message.Release();
        return EnqueueResult.Closed;
    }

    /// <summary>Puts a video frame into its slot (taking a reference); an unsent older frame is dropped.</summary>
    public EnqueueResult TryEnqueueVideo(VideoSlot slot, OutboundFrame frame)
    {
        frame.AddReference();
        OutboundFrame? replaced = slot.Exchange(frame);
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
    public bool TryDequeue(out OutboundFrame message)
    {
        while (_channel.Reader.TryRead(out OutboundItem item))
        {
            if (item.Slot is not null)
            {
                OutboundFrame? frame = item.Slot.Exchange(null);
                if (frame is null) continue;
                message = frame;
                return true;
            }
            message = item.Message!;
            if (item.IsStream)
            {
                Interlocked.Decrement(ref _stream);
            }
            else
            {
                long left = Interlocked.Add(ref _controlBytes, -message.Length);
                if (left <= _lowWater && Volatile.Read(ref _drained) is not null) ReleasePressure();
            }
            return true;
        }
        message = null!;
        return false;
    }

    /// <summary>
    /// Completes when the queue is at or below its low-water mark, or has been completed. Synchronous (no allocation) when it
    /// is not above its high-water mark.
    /// </summary>
    public ValueTask WaitForDrainAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource? drained = Volatile.Read(ref _drained);
        return drained is null ? ValueTask.CompletedTask : new ValueTask(drained.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Stops accepting messages; the send loop drains or discards what is queued. Paused senders are released.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
        ReleasePressure();
    }

    /// <summary>Releases everything still queued (after the send loop stopped); returns how many messages were discarded.</summary>
    public int DiscardAll()
    {
        int discarded = 0;
        while (TryDequeue(out OutboundFrame message))
        {
            message.Release();
            discarded++;
        }
        ReleasePressure();
        return discarded;
    }

    private void RaisePressure()
    {
        lock (_signalLock)
        {
            if (_drained is not null || Interlocked.Read(ref _controlBytes) <= _highWater || _completed) return;
            // Publish with a full fence, then look at the bytes again: the send loop subtracts (a full fence too) before it
            // looks for a signal, so either it sees this signal and releases it, or this sees its drain. Without the second
            // look, a queue drained between the first look and the publication would keep its senders paused forever.
            Interlocked.Exchange(ref _drained, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        if (Interlocked.Read(ref _controlBytes) <= _lowWater) ReleasePressure();
    }

    private void ReleasePressure()
    {
        TaskCompletionSource? drained;
        lock (_signalLock)
        {
            drained = _drained;
            if (drained is null) return;
            Volatile.Write(ref _drained, null);
        }
        drained.TrySetResult();
    }
}
