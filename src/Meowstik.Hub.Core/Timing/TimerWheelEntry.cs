namespace Meowstik.Hub.Core;

/// <summary>
/// Something with a deadline on the <see cref="TimerWheel"/>: an intrusive list node, so scheduling and cancelling
/// never allocate. A connection (registration and heartbeat deadlines) or a pending request (its timeout).
/// </summary>
internal abstract class TimerWheelEntry
{
    internal TimerWheelEntry? Next;
    internal TimerWheelEntry? Previous;
    internal int Slot = -1;

    /// <summary>The deadline, in <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    internal long DueTimestamp;

    /// <summary>True while the entry is linked into a slot.</summary>
    internal bool IsScheduled => Slot >= 0;

    /// <summary>Called (outside the wheel's lock) once the deadline has passed.</summary>
    internal abstract void OnDeadline(long nowTimestamp);
}
