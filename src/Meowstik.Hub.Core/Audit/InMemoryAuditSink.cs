namespace Meowstik.Hub.Core;

/// <summary>
/// An <see cref="IAuditSink"/> in process memory: keeps the newest <see cref="Capacity"/> records (older ones are evicted
/// and counted in <see cref="EvictedCount"/>) and answers <see cref="QueryAsync"/> like the SQLite sink does. Posting takes
/// a short lock and never waits, so it never applies backpressure. For tests, demos and hosts that ship audit records
/// elsewhere; nothing is written to disk. A hub needs no audit sink at all: pass none to run without an audit trail.
/// </summary>
public sealed class InMemoryAuditSink : IAuditSink
{
    /// <summary>The default <see cref="Capacity"/>: 10,000 records.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly Lock _lock = new();
    private readonly AuditRecord[] _ring;
    private long _written;

    /// <summary>Creates a sink keeping the newest <paramref name="capacity"/> records.</summary>
    /// <param name="capacity">Records kept; at least 1. Default <see cref="DefaultCapacity"/>.</param>
    public InMemoryAuditSink(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new AuditRecord[capacity];
    }

    /// <summary>Most records kept at once.</summary>
    public int Capacity => _ring.Length;

    /// <summary>Records kept now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return (int)Math.Min(_written, _ring.Length);
        }
    }

    /// <summary>Records posted since creation.</summary>
    public long WrittenCount
    {
        get
        {
            lock (_lock) return _written;
        }
    }

    /// <summary>Records evicted because newer ones needed the room.</summary>
    public long EvictedCount
    {
        get
        {
            lock (_lock) return Math.Max(0, _written - _ring.Length);
        }
    }

    /// <inheritdoc />
    public bool TryWrite(in AuditRecord record)
    {
        lock (_lock)
        {
            _ring[_written % _ring.Length] = record;
            _written++;
        }

        return true;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        cancellationToken.ThrowIfCancellationRequested();
        AuditRecord[] kept;
        lock (_lock)
        {
            int count = (int)Math.Min(_written, _ring.Length);
            kept = new AuditRecord[count];
            long first = _written - count;
            for (int i = 0; i < count; i++)
            {
                kept[i] = _ring[(first + i) % _ring.Length];
            }
        }

        // Kept in posting order; a stable sort by time gives the SQLite sink's order (time, then insertion).
        IEnumerable<AuditRecord> rows = kept.Where(r => Matches(r, query));
        rows = query.NewestFirst
            ? rows.Reverse().OrderByDescending(static r => r.Time)
            : rows.OrderBy(static r => r.Time);
        return Task.FromResult<IReadOnlyList<AuditRecord>>([.. rows.Take(query.Limit)]);
    }

    /// <summary>Completes at once: records are kept as soon as they are posted.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    private static bool Matches(in AuditRecord r, AuditQuery q) =>
        (q.DeviceId is null || string.Equals(r.From, q.DeviceId, StringComparison.Ordinal) || string.Equals(r.To, q.DeviceId, StringComparison.Ordinal))
        && (q.Since is not { } since || r.Time >= since)
        && (q.Until is not { } until || r.Time < until)
        && (q.Kind is not { } kind || r.Kind == kind)
        && (q.Outcome is not { } outcome || r.Outcome == outcome);
}
