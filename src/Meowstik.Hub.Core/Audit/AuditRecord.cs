namespace Meowstik.Hub.Core;

/// <summary>
/// One audit row: a message's metadata or an auth decision. Never the payload. A value type so that posting it
/// to <see cref="IAuditSink.TryWrite(in AuditRecord)"/> allocates nothing beyond the strings it references.
/// </summary>
/// <remarks>
/// On the routing path the message id exists only as UTF-8 bytes; post such records through
/// <see cref="IAuditSink.TryWriteMessage"/> instead of building one here, so that no id string is created per message.
/// Records of kind <see cref="AuditKind.Auth"/> (<see cref="ForAuth"/>) are security records: the SQLite sink keeps a
/// separate reserve for them so that message floods never push them out.
/// </remarks>
public readonly record struct AuditRecord
{
    /// <summary>When it happened.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>Message or auth.</summary>
    public required AuditKind Kind { get; init; }

    /// <summary>The outcome.</summary>
    public required AuditOutcome Outcome { get; init; }

    /// <summary>The message id (messages), or null.</summary>
    public string? MessageId { get; init; }

    /// <summary>The message type name (messages) or the auth operation (for example <c>authenticate</c>, <c>catch_phrase</c>).</summary>
    public string? MessageType { get; init; }

    /// <summary>The sender's device id or token id; for auth records, the remote source where known.</summary>
    public string? From { get; init; }

    /// <summary>The target device id, <c>hub</c> or <c>broadcast</c>; for auth records, the token id or device concerned.</summary>
    public string? To { get; init; }

    /// <summary>Message size in bytes (0 for auth records).</summary>
    public int Size { get; init; }

    /// <summary>A stable snake_case reason code for rejections, drops and denials (for example <c>not_granted</c>).</summary>
    public string? Reason { get; init; }

    /// <summary>Free-form detail; keep it short and never put secrets or payloads here.</summary>
    public string? Detail { get; init; }

    /// <summary>A message record.</summary>
    public static AuditRecord ForMessage(
        DateTimeOffset time, string? messageId, string? messageType, string? from, string? to, int size,
        AuditOutcome outcome, string? reason = null) => new()
        {
            Time = time,
            Kind = AuditKind.Message,
            MessageId = messageId,
            MessageType = messageType,
            From = from,
            To = to,
            Size = size,
            Outcome = outcome,
            Reason = reason,
        };

    /// <summary>An auth record.</summary>
    public static AuditRecord ForAuth(
        DateTimeOffset time, string operation, string? from, string? to, AuditOutcome outcome, string? reason = null,
        string? detail = null) => new()
        {
            Time = time,
            Kind = AuditKind.Auth,
            MessageType = operation,
            From = from,
            To = to,
            Outcome = outcome,
            Reason = reason,
            Detail = detail,
        };
}
