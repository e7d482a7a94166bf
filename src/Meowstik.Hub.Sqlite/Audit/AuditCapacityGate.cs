namespace Meowstik.Hub.Sqlite;

/// <summary>
/// Queue depth accounting and backpressure for <see cref="SqliteAuditSink"/>'s two lanes (messages, security). The gate
/// closes (<see cref="IsClosed"/>) when either lane reaches its high-water mark (3/4 of capacity) and opens again only
/// when both are at or below their low-water mark (1/2): the gap keeps producers from flapping on every record.
/// </summary>
internal sealed class AuditCapacityGate
{
    private readonly int _messageHigh, _messageLow, _securityHigh, _securityLow;
    private int _messages;
    private int _security;
    private int _closed;
    private int _shutDown;

    // One signal per backpressure episode, shared by every waiter: waiting costs no allocation per record.
    private TaskCompletionSource _opened = NewSignal();

    public AuditCapacityGate(int messageCapacity, int securityCapacity)
    {
        (_messageHigh, _messageLow) = Marks(messageCapacity);
        (_securityHigh, _securityLow) = Marks(securityCapacity);
    }

    /// <summary>True from the moment a lane reaches its high-water mark until both lanes drain to their low-water mark.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Records waiting in both lanes.</summary>
    public int Queued => Volatile.Read(ref _messages) + Volatile.Read(ref _security);

    /// <summary>Counts a record about to be queued; call <see cref="Removed"/> if queuing then fails.</summary>
    public void Adding(bool security)
    {
        int depth = security ? Interlocked.Increment(ref _security) : Interlocked.Increment(ref _messages);
        if (depth >= (security ? _securityHigh : _messageHigh)
            && Volatile.Read(ref _shutDown) == 0
            && Interlocked.CompareExchange(ref _closed, 1, 0) == 0)
        {
            // The writer may have drained everything between our increment and the close; it checks only after reading,
            // so if it is already idle nobody else would ever open the gate again.
            OpenIfDrained();
        }
    }

    /// <summary>Counts records that left a lane (read by the writer, or failed to queue).</summary>
    public void Removed(bool security, int count = 1)
    {
        if (security)
        {
            Interlocked.Add(ref _security, -count);
        }
        else
        {
            Interlocked.Add(ref _messages, -count);
        }
    }

    /// <summary>Opens the gate (releasing every waiter) if it is closed and both lanes are at or below the low-water mark.</summary>
    public void OpenIfDrained()
    {
        if (Volatile.Read(ref _closed) != 0
            && Volatile.Read(ref _messages) <= _messageLow
            && Volatile.Read(ref _security) <= _securityLow
            && Interlocked.CompareExchange(ref _closed, 0, 1) == 1)
        {
            Interlocked.Exchange(ref _opened, NewSignal()).TrySetResult();
        }
    }

    /// <summary>Completes when the gate is open; synchronously (no allocation) when it already is.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        // Read the signal before the state: OpenIfDrained clears the state before it swaps the signal, so a signal read
        // here is either the one about to complete or a new one whose gate we then see open.
        TaskCompletionSource opened = Volatile.Read(ref _opened);
        if (Volatile.Read(ref _closed) == 0 || Volatile.Read(ref _shutDown) != 0)
        {
            return ValueTask.CompletedTask;
        }

        return new ValueTask(cancellationToken.CanBeCanceled ? opened.Task.WaitAsync(cancellationToken) : opened.Task);
    }

    /// <summary>The sink is closing or its writer stopped: open for good so that no producer waits forever.</summary>
    public void ShutDown()
    {
        Volatile.Write(ref _shutDown, 1);
        Volatile.Write(ref _closed, 0);
        Interlocked.Exchange(ref _opened, NewSignal()).TrySetResult();
    }

    private static (int High, int Low) Marks(int capacity) => (capacity - capacity / 4, capacity / 2);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
