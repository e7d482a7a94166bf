namespace Meowstik.Hub.Core;

/// <summary>What an audit row describes.</summary>
public enum AuditKind
{
    /// <summary>A mesh message passing (or failing to pass) through the hub.</summary>
    Message = 0,

    /// <summary>An authentication or authorization decision, token issue/revoke or catch-phrase exchange.</summary>
    Auth = 1,
}
