using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>
/// One timer for every deadline in the hub (registration, heartbeat, request timeouts): a hashed timer wheel of
/// fixed slots driven by a single periodic <see cref="TimeProvider"/> timer. Scheduling and cancelling are O(1) and
/// allocation-free; each tick visits only the slots that came due. Entries further out than one revolution stay in
/// their slot and are skipped until their round comes. An entry fires at the first timer tick at or after its deadline
/// (at most one resolution late, never early).
/// </summary>
internal sealed partial class TimerWheel : IDisposable
{
    private const int SlotCount = 512;
    private const int SlotMask = SlotCount - 1;

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _resolution;
    private readonly TimerWheelEntry?[] _slots = new TimerWheelEntry?[SlotCount];
    private readonly List<TimerWheelEntry> _expired = [];
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private long _processedTick;
    private int _firing;
    private int _count;

    public TimerWheel(TimeProvider time, TimeSpan resolution, ILogger logger)
    {
        _time = time;
        _logger = logger;
        _resolution = Math.Max(1, (long)(resolution.TotalSeconds * time.TimestampFrequency));
        _processedTick = time.GetTimestamp() / _resolution;
        _timer = time.CreateTimer(static s => ((TimerWheel)s!).Tick(), this, resolution, resolution);
    }

    /// <summary>Entries currently scheduled.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Converts a duration to timestamp units of the wheel's clock.</summary>
    public long ToTimestampDelta(TimeSpan duration) => (long)(duration.TotalSeconds * _time.TimestampFrequency);

    /// <summary>(Re)schedules <paramref name="entry"/> to fire at <paramref name="dueTimestamp"/>.</summary>
    public void Schedule(TimerWheelEntry entry, long dueTimestamp)
    {
        lock (_lock)
        {
            if (entry.IsScheduled) Unlink(entry);
            entry.DueTimestamp = dueTimestamp;
            // Round up so an entry never fires before its deadline; never into a tick already processed.
            long tick = Math.Max((dueTimestamp + _resolution - 1) / _resolution, _processedTick + 1);
            int slot = (int)(tick & SlotMask);
            entry.Slot = slot;
            entry.Previous = null;
            entry.Next = _slots[slot];
            if (entry.Next is not null) entry.Next.Previous = entry;
            _slots[slot] = entry;
            _count++;
        }
    }

    /// <summary>Removes <paramref name="entry"/> if scheduled; true when it was.</summary>
    public bool Cancel(TimerWheelEntry entry)
    {
        lock (_lock)
        {
            if (!entry.IsScheduled) return false;
            Unlink(entry);
            return true;
        }
    }

    /// <summary>Processes every slot that came due; called by the timer, and directly by tests.</summary>
    internal void Tick()
    {
        // Timer callbacks may overlap when one runs long; one at a time is enough.
        if (Interlocked.Exchange(ref _firing, 1) != 0) return;
        try
        {
            long now = _time.GetTimestamp();
            long nowTick = now / _resolution;
            lock (_lock)
            {
                long from = _processedTick + 1;
                // After a long pause every slot is due at most once.
                if (nowTick - from >= SlotCount) from = nowTick - SlotCount + 1;
                for (long tick = from; tick <= nowTick; tick++) CollectDue(tick, now);
                // Deadlines between the last whole tick and now sit in the next slot (rounded up): take those too,
                // so an entry fires at the first timer tick at or after its deadline.
                CollectDue(nowTick + 1, now);
                if (nowTick > _processedTick) _processedTick = nowTick;
            }

            foreach (TimerWheelEntry entry in _expired)
            {
                try
                {
                    entry.OnDeadline(now);
                }
                catch (Exception ex)
                {
                    Log.DeadlineHandlerFailed(_logger, ex);
                }
            }
            _expired.Clear();
        }
        finally
        {
            Volatile.Write(ref _firing, 0);
        }
    }

    public void Dispose() => _timer.Dispose();

    // Caller holds the lock.
    private void CollectDue(long tick, long now)
    {
        TimerWheelEntry? entry = _slots[(int)(tick & SlotMask)];
        while (entry is not null)
        {
            TimerWheelEntry? next = entry.Next;
            if (entry.DueTimestamp <= now)
            {
                Unlink(entry);
                _expired.Add(entry);
            }
            entry = next;
        }
    }

    private void Unlink(TimerWheelEntry entry)
    {
        if (entry.Previous is not null) entry.Previous.Next = entry.Next;
        else _slots[entry.Slot] = entry.Next;
        if (entry.Next is not null) entry.Next.Previous = entry.Previous;
        entry.Next = null;
        entry.Previous = null;
        entry.Slot = -1;
        _count--;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "A deadline handler failed")]
        public static partial void DeadlineHandlerFailed(ILogger logger, Exception exception);
    }
}
