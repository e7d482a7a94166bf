namespace Meowstik.Hub.Sqlite;

/// <summary>A record waiting in <see cref="SqliteAuditSink"/>'s queue, with its message id either inline (UTF-8) or as a string.</summary>
internal struct QueuedAuditRecord
{
    /// <summary>The record; its <see cref="AuditRecord.MessageId"/> is null when the id is inline.</summary>
    public AuditRecord Record;

    /// <summary>The inline UTF-8 id, valid for <see cref="IdLength"/> bytes.</summary>
    public AuditIdBuffer IdUtf8;

    /// <summary>Bytes of <see cref="IdUtf8"/> in use, or -1 when the id (if any) is <see cref="AuditRecord.MessageId"/>.</summary>
    public int IdLength;

    public readonly bool HasInlineId => IdLength >= 0;
}
