namespace Meowstik.Hub.Core;

/// <summary>A stored token as listed to an administrator: everything except the secret and its hash.</summary>
public sealed record TokenInfo
{
    /// <summary>The public handle.</summary>
    public required string TokenId { get; init; }

    /// <summary>The granted role.</summary>
    public required MeshRole Role { get; init; }

    /// <summary>Display name of the holder.</summary>
    public required string Subject { get; init; }

    /// <summary>Bound device id (device tokens only).</summary>
    public string? DeviceId { get; init; }

    /// <summary>Family: devices it may query and observe.</summary>
    public IReadOnlyList<string> PermittedDevices { get; init; } = [];

    /// <summary>Device: devices it may command and query.</summary>
    public IReadOnlyList<string> CommandGrants { get; init; } = [];

    /// <summary>When it was issued.</summary>
    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>When it expires.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When it was revoked, or null.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>True when revoked.</summary>
    public bool IsRevoked => RevokedAt is not null;
}
