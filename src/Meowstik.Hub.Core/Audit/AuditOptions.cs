namespace Meowstik.Hub.Audit;

/// <summary>Settings for <see cref="SqliteAuditSink"/>. Every default is listed below.</summary>
public sealed class AuditOptions
{
    /// <summary>Records the in-memory queue holds before <see cref="IAuditSink.TryWrite"/> starts dropping. Default: 16 384.</summary>
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>Most records written in one transaction. Default: 512.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>Longest a record waits in a partial batch before it is written. Default: 1 second.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rows older than this are deleted by retention; null keeps everything. Default: 30 days.</summary>
    public TimeSpan? Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often retention runs (first run one interval after start). Default: 1 hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (FlushInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FlushInterval), FlushInterval, "Must be positive.");
        }

        if (Retention is { } r && r <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Retention), r, "Must be positive or null.");
        }

        if (RetentionInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RetentionInterval), RetentionInterval, "Must be positive.");
        }
    }
}
