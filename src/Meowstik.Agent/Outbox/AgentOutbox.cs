namespace Meowstik.Agent;

/// <summary>
/// The agent's bounded outbox. Responses, events and requests (the reliable lane) keep their order, are queued
/// while offline and flushed after re-registration; when the lane is full the oldest message is dropped.
/// Stream chunks (the stream lane) are accepted only while online and are dropped when the connection goes.
/// Every drop is reported to the drop callback, which counts and logs it. Thread-safe; one reader (the send loop).
/// </summary>
/// <typeparam name="T">The queued message type.</typeparam>
internal sealed class AgentOutbox<T>
    where T : class
{
    private readonly RingBuffer<T> _reliable;
    private readonly RingBuffer<T> _streams;
    private readonly Action<T, OutboxDropReason> _dropped;
    private readonly Lock _lock = new();
    private TaskCompletionSource? _waiter;
    private bool _online;
    private bool _completed;

    public AgentOutbox(int reliableCapacity, int streamCapacity, Action<T, OutboxDropReason> dropped)
    {
        _reliable = new RingBuffer<T>(reliableCapacity);
        _streams = new RingBuffer<T>(streamCapacity);
        _dropped = dropped;
    }

    /// <summary>Messages waiting in both lanes.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _reliable.Count + _streams.Count;
            }
        }
    }

    /// <summary>Reliable messages waiting (the part that survives a reconnect).</summary>
    public int ReliableCount
    {
        get
        {
            lock (_lock)
            {
                return _reliable.Count;
            }
        }
    }

    /// <summary>Whether stream chunks are accepted now.</summary>
    public bool IsOnline
    {
        get
        {
            lock (_lock)
            {
                return _online;
            }
        }
    }

    /// <summary>Queues a response, event, error or request. Never blocks; drops the oldest when full.</summary>
    /// <returns>False only after <see cref="Complete"/>.</returns>
    public bool EnqueueReliable(T message)
    {
        T? evicted = null;
        OutboxDropReason reason = OutboxDropReason.OutboxFull;
        TaskCompletionSource? wake = null;
        bool accepted = true;
        lock (_lock)
        {
            if (_completed)
            {
                evicted = message;
                reason = OutboxDropReason.AgentStopped;
                accepted = false;
            }
            else
            {
                if (_reliable.IsFull)
                {
                    _reliable.TryPopFront(out evicted);
                }

                _reliable.PushBack(message);
                wake = TakeWaiter();
            }
        }

        if (evicted is not null)
        {
            _dropped(evicted, reason);
        }

        wake?.TrySetResult();
        return accepted;
    }

    /// <summary>Queues a stream chunk if online; otherwise drops it (counted). Drops the oldest chunk when the lane is full.</summary>
    /// <returns>True when the chunk was queued.</returns>
    public bool TryEnqueueStream(T chunk)
    {
        T? evicted = null;
        OutboxDropReason reason = OutboxDropReason.StreamOverflow;
        TaskCompletionSource? wake = null;
        bool accepted;
        lock (_lock)
        {
            if (!_online || _completed)
            {
                evicted = chunk;
                reason = _completed ? OutboxDropReason.AgentStopped : OutboxDropReason.StreamOffline;
                accepted = false;
            }
            else
            {
                if (_streams.IsFull)
                {
                    _streams.TryPopFront(out evicted);
                }

                _streams.PushBack(chunk);
                wake = TakeWaiter();
                accepted = true;
            }
        }

        if (evicted is not null)
        {
            _dropped(evicted, reason);
        }

        wake?.TrySetResult();
        return accepted;
    }

    /// <summary>Switches the stream lane on (registered) or off (connection lost: queued chunks are dropped).</summary>
    public void SetOnline(bool online)
    {
        List<T>? stale = null;
        lock (_lock)
        {
            _online = online;
            if (!online)
            {
                while (_streams.TryPopFront(out T? chunk))
                {
                    (stale ??= []).Add(chunk);
                }
            }
        }

        if (stale is not null)
        {
            foreach (T chunk in stale)
            {
                _dropped(chunk, OutboxDropReason.StreamOffline);
            }
        }
    }

    /// <summary>Takes the next message: reliable first (in order), then stream chunks.</summary>
    public bool TryTake(out T message, out OutboundLane lane)
    {
        lock (_lock)
        {
            if (_reliable.TryPopFront(out message))
            {
                lane = OutboundLane.Reliable;
                return true;
            }

            if (_streams.TryPopFront(out message))
            {
                lane = OutboundLane.Stream;
                return true;
            }
        }

        lane = default;
        return false;
    }

    /// <summary>
    /// Puts back a reliable message whose send did not complete, at the head so order is kept. If the lane filled
    /// up meanwhile, the returned message is itself the oldest and is the one dropped.
    /// </summary>
    public void ReturnUnsent(T message)
    {
        bool dropped;
        lock (_lock)
        {
            dropped = _completed || _reliable.IsFull;
            if (!dropped)
            {
                _reliable.PushFront(message);
            }
        }

        if (dropped)
        {
            _dropped(message, _completed ? OutboxDropReason.AgentStopped : OutboxDropReason.OutboxFull);
        }
    }

    /// <summary>Waits until a message is available. Returns false once the outbox is completed.</summary>
    public async ValueTask<bool> WaitToTakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_reliable.Count + _streams.Count > 0)
                {
                    return true;
                }

                if (_completed)
                {
                    return false;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting messages and drops what is left (counted as <see cref="OutboxDropReason.AgentStopped"/>).</summary>
    public void Complete()
    {
        List<T> left = [];
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _completed = true;
            _online = false;
            while (_reliable.TryPopFront(out T? m))
            {
                left.Add(m);
            }

            while (_streams.TryPopFront(out T? m))
            {
                left.Add(m);
            }

            wake = TakeWaiter();
        }

        foreach (T m in left)
        {
            _dropped(m, OutboxDropReason.AgentStopped);
        }

        wake?.TrySetResult();
    }

    private TaskCompletionSource? TakeWaiter()
    {
        TaskCompletionSource? waiter = _waiter;
        _waiter = null;
        return waiter;
    }
}
