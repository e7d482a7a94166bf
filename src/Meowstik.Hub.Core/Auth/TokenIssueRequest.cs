namespace Meowstik.Hub.Core;

/// <summary>What to put into a new token. Validated by <see cref="AuthManager.IssueTokenAsync"/>.</summary>
public sealed class TokenIssueRequest
{
    /// <summary>The role the token grants.</summary>
    public required MeshRole Role { get; init; }

    /// <summary>A display name for the holder (device name, family member, "creator"). Required.</summary>
    public required string Subject { get; init; }

    /// <summary>Required for <see cref="MeshRole.Device"/> (the one device id the token is bound to); must be null otherwise.</summary>
    public string? DeviceId { get; init; }

    /// <summary>Family only: the devices the holder may query and observe (<c>*</c> = all).</summary>
    public IReadOnlyCollection<string>? PermittedDevices { get; init; }

    /// <summary>Device only: the devices the holder may command and query (<c>*</c> = all).</summary>
    public IReadOnlyCollection<string>? CommandGrants { get; init; }

    /// <summary>How long the token lives; null means <see cref="AuthOptions.DefaultTokenLifetime"/>.</summary>
    public TimeSpan? Lifetime { get; init; }
}
