using System.Collections.Frozen;

namespace Meowstik.Hub.Core;

/// <summary>
/// Who is on the other end of a connection, as proven by a token. Immutable except for the revocation flag,
/// which <see cref="AuthManager"/> sets so that a message racing a revocation is still denied.
/// </summary>
public sealed class MeshIdentity
{
    /// <summary>The wildcard meaning "every device" in <see cref="PermittedDevices"/> and <see cref="CommandGrants"/>.</summary>
    public const string AllDevices = "*";

    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _permittedLookup;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _grantLookup;
    private volatile bool _revoked;

    /// <summary>Creates an identity. Normally only <see cref="AuthManager"/> does this, from a stored token.</summary>
    /// <param name="tokenId">The public token handle (for example <c>tok_…</c>).</param>
    /// <param name="role">The role the token grants.</param>
    /// <param name="subject">A display name (device name, family member, "creator").</param>
    /// <param name="deviceId">For <see cref="MeshRole.Device"/>: the one device id the token is bound to; otherwise null.</param>
    /// <param name="permittedDevices">For <see cref="MeshRole.Family"/>: the devices it may query and observe (<c>*</c> = all).</param>
    /// <param name="commandGrants">For <see cref="MeshRole.Device"/>: the devices it may command and query (<c>*</c> = all).</param>
    /// <param name="expiresAt">When the token stops being valid.</param>
    public MeshIdentity(
        string tokenId,
        MeshRole role,
        string subject,
        string? deviceId,
        IEnumerable<string>? permittedDevices,
        IEnumerable<string>? commandGrants,
        DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenId);
        ArgumentNullException.ThrowIfNull(subject);
        if (!Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role.");
        }

        if (role == MeshRole.Device)
        {
            DeviceIdRules.ThrowIfInvalid(deviceId, nameof(deviceId));
        }
        else if (deviceId is not null)
        {
            throw new ArgumentException("Only device tokens are bound to a device id.", nameof(deviceId));
        }

        TokenId = tokenId;
        Role = role;
        Subject = subject;
        DeviceId = deviceId;
        ExpiresAt = expiresAt;
        PermittedDevices = DeviceIdRules.ToSet(permittedDevices, nameof(permittedDevices));
        CommandGrants = DeviceIdRules.ToSet(commandGrants, nameof(commandGrants));
        PermitsAll = PermittedDevices.Contains(AllDevices);
        GrantsAll = CommandGrants.Contains(AllDevices);
        _permittedLookup = PermittedDevices.GetAlternateLookup<ReadOnlySpan<char>>();
        _grantLookup = CommandGrants.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The public token handle; safe to log.</summary>
    public string TokenId { get; }

    /// <summary>The role the token grants.</summary>
    public MeshRole Role { get; }

    /// <summary>A display name: the device name, the family member or the creator.</summary>
    public string Subject { get; }

    /// <summary>For device tokens, the one device id this token is bound to; null for every other role.</summary>
    public string? DeviceId { get; }

    /// <summary>Family: the devices it may query and observe. Empty for other roles.</summary>
    public FrozenSet<string> PermittedDevices { get; }

    /// <summary>Device: the devices it may command and query. Empty for other roles.</summary>
    public FrozenSet<string> CommandGrants { get; }

    /// <summary>When the token stops being valid.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>True once the token has been revoked; every later authorization is denied.</summary>
    public bool IsRevoked => _revoked;

    /// <summary><see cref="PermittedDevices"/> holds the wildcard.</summary>
    internal bool PermitsAll { get; }

    /// <summary><see cref="CommandGrants"/> holds the wildcard.</summary>
    internal bool GrantsAll { get; }

    /// <summary>Whether the family permission covers <paramref name="deviceId"/> (no allocation).</summary>
    public bool IsPermitted(ReadOnlySpan<char> deviceId) => PermitsAll || _permittedLookup.Contains(deviceId);

    /// <summary>Whether the device grants cover <paramref name="deviceId"/> (no allocation).</summary>
    public bool IsGranted(ReadOnlySpan<char> deviceId) => GrantsAll || _grantLookup.Contains(deviceId);

    internal void MarkRevoked() => _revoked = true;

    /// <inheritdoc />
    public override string ToString() => DeviceId is null
        ? $"{Role} '{Subject}' ({TokenId})"
        : $"{Role} '{Subject}' as {DeviceId} ({TokenId})";
}
