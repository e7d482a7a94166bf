namespace Meowstik.Hub.Core;

/// <summary>Settings for the audit writer (<c>SqliteAuditSink</c> in <c>Meowstik.Hub.Sqlite</c>). Every default is listed below.</summary>
public sealed class AuditOptions
{
    /// <summary>
    /// Message records the in-memory queue holds before <see cref="IAuditSink.TryWrite"/> starts dropping them (counted as
    /// <c>queue_full</c>). <see cref="IAuditSink.IsBackpressured"/> turns true at 3/4 of it and false again at 1/2.
    /// Default: 16 384.
    /// </summary>
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>
    /// Auth records (<see cref="AuditKind.Auth"/>: authentication and authorization decisions, token issue and revocation)
    /// have their own queue of this size, so a flood of message records never pushes them out. Only if this reserve is
    /// full too is one dropped, counted as <c>security_overflow</c> and logged as an error. Default: 65 536.
    /// </summary>
    public int SecurityQueueCapacity { get; set; } = 65_536;

    /// <summary>Records written in one transaction when the queue is shallow. Default: 512.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>
    /// Most records written in one transaction: when more than <see cref="BatchSize"/> are queued the writer takes up
    /// to this many at once, since fewer commits per row is how it catches up. A value below <see cref="BatchSize"/> counts as
    /// <see cref="BatchSize"/>. Default: 8 192.
    /// </summary>
    public int MaxBatchSize { get; set; } = 8_192;

    /// <summary>Longest a record waits in a partial batch before it is written. Default: 1 second.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rows older than this are deleted by retention; null keeps everything. Default: 30 days.</summary>
    public TimeSpan? Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often retention runs (first run one interval after start). Default: 1 hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming every setting out of range.</summary>
    public void Validate()
    {
        var errors = new OptionErrors();
        AddValidationErrors(errors);
        errors.ThrowIfAny();
    }

    internal void AddValidationErrors(OptionErrors e)
    {
        e.AtLeast(QueueCapacity, 1, nameof(QueueCapacity));
        e.AtLeast(SecurityQueueCapacity, 1, nameof(SecurityQueueCapacity));
        e.AtLeast(BatchSize, 1, nameof(BatchSize));
        e.AtLeast(MaxBatchSize, 1, nameof(MaxBatchSize));
        e.Positive(FlushInterval, nameof(FlushInterval));
        if (Retention is { } retention) e.Positive(retention, nameof(Retention));
        e.Positive(RetentionInterval, nameof(RetentionInterval));
    }
}
