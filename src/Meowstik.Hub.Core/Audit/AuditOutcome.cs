namespace Meowstik.Hub.Core;

/// <summary>How it ended.</summary>
public enum AuditOutcome
{
    /// <summary>A message reached its target(s).</summary>
    Delivered = 0,

    /// <summary>A message was refused (denied, invalid, unknown target); <see cref="AuditRecord.Reason"/> says why.</summary>
    Rejected = 1,

    /// <summary>A message was accepted but dropped (queue full, target gone); <see cref="AuditRecord.Reason"/> says why.</summary>
    Dropped = 2,

    /// <summary>An auth decision that let the caller in (or a token issued/revoked).</summary>
    Allowed = 3,

    /// <summary>An auth decision that refused the caller; <see cref="AuditRecord.Reason"/> says why.</summary>
    Denied = 4,
}
