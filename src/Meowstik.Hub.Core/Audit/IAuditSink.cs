using System.Text;

namespace Meowstik.Hub.Core;

/// <summary>
/// The event logger: where audit records go. <see cref="TryWrite(in AuditRecord)"/> is called on the routing path and
/// must never block or touch the disk; the embedded default <c>SqliteAuditSink</c> (<c>Meowstik.Hub.Sqlite</c>) enqueues into a bounded
/// queue drained by a background batch writer.
/// </summary>
/// <remarks>
/// Producers that can slow down (a connection's receive loop) should honour backpressure after each routed message so
/// that records are not dropped under sustained load:
/// <code>if (audit.IsBackpressured) await audit.WaitForCapacityAsync(cancellationToken);</code>
/// </remarks>
public interface IAuditSink
{
    /// <summary>
    /// True while the sink's queue is too full for comfort (for <c>SqliteAuditSink</c>: from 3/4 of a queue's
    /// capacity until it drains to 1/2). Cheap enough to read after every message. Sinks without a queue: always false.
    /// </summary>
    bool IsBackpressured => false;

    /// <summary>
    /// Posts a record without blocking. Returns false when it was dropped (queue full or sink closed); the sink counts
    /// and logs every drop, so callers need not.
    /// </summary>
    bool TryWrite(in AuditRecord record);

    /// <summary>
    /// Posts a message record whose id is still UTF-8 bytes (as the router holds it), so that sinks which can store the
    /// bytes directly need not allocate a string per message; same contract as <see cref="TryWrite(in AuditRecord)"/>.
    /// An empty <paramref name="messageIdUtf8"/> means no id. The default implementation decodes the id and calls
    /// <see cref="TryWrite(in AuditRecord)"/>.
    /// </summary>
    bool TryWriteMessage(
        DateTimeOffset time, ReadOnlySpan<byte> messageIdUtf8, string? messageType, string? from, string? to, int size,
        AuditOutcome outcome, string? reason = null) =>
        TryWrite(AuditRecord.ForMessage(
            time, messageIdUtf8.IsEmpty ? null : Encoding.UTF8.GetString(messageIdUtf8), messageType, from, to, size, outcome, reason));

    /// <summary>
    /// Completes once the sink has room again (for <c>SqliteAuditSink</c>: its queues at or below half capacity),
    /// at once and without allocating when it already has; also completes when the sink is disposed or its writer has
    /// stopped, so it never hangs. Sinks without a queue: always complete.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Reads stored records matching <paramref name="query"/>.</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>Completes once every record posted before the call is stored (or dropped by a write error).</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
