namespace Meowstik.Hub.Audit;

/// <summary>
/// The event logger: where audit records go. <see cref="TryWrite(in AuditRecord)"/> is called on the routing path and
/// must never block or touch the disk; the embedded default <see cref="SqliteAuditSink"/> enqueues into a bounded
/// channel drained by a background batch writer.
/// </summary>
public interface IAuditSink
{
    /// <summary>
    /// Posts a record without blocking. Returns false when it was dropped (queue full or sink closed); the sink counts
    /// and logs every drop, so callers need not.
    /// </summary>
    bool TryWrite(in AuditRecord record);

    /// <summary>Reads stored records matching <paramref name="query"/>.</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>Completes once every record posted before the call is stored (or dropped by a write error).</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
