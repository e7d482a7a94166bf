namespace Meowstik.Hub.Core;

/// <summary>Filter for <see cref="IAuditSink.QueryAsync"/>. Every filter is optional; results are ordered by time.</summary>
public sealed record AuditQuery
{
    /// <summary>Rows whose <see cref="AuditRecord.From"/> or <see cref="AuditRecord.To"/> equals this id.</summary>
    public string? DeviceId { get; init; }

    /// <summary>Rows at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Rows strictly before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Only this kind.</summary>
    public AuditKind? Kind { get; init; }

    /// <summary>Only this outcome.</summary>
    public AuditOutcome? Outcome { get; init; }

    /// <summary>Most rows returned. Default: 1000.</summary>
    public int Limit { get; init; } = 1000;

    /// <summary>Newest first (useful with <see cref="Limit"/> for "recent activity"). Default: oldest first.</summary>
    public bool NewestFirst { get; init; }
}
