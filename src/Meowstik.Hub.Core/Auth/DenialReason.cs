namespace Meowstik.Hub.Core;

/// <summary>
/// Why <see cref="AuthManager.Authorize(MeshIdentity, MeshAction, ReadOnlySpan{char})"/> said no.
/// <see cref="AuthReasonCodes.ToCode(DenialReason)"/> gives the stable snake_case name used in errors, logs and audit.
/// </summary>
public enum DenialReason
{
    /// <summary>Not denied.</summary>
    None = 0,

    /// <summary>The identity's token has expired since it authenticated.</summary>
    TokenExpired = 1,

    /// <summary>The identity's token has been revoked since it authenticated.</summary>
    TokenRevoked = 2,

    /// <summary>Guests have no device access.</summary>
    GuestNoDeviceAccess = 3,

    /// <summary>Family members may only query and observe; this action would change something.</summary>
    FamilyReadOnly = 4,

    /// <summary>The target device is not among the family member's permitted devices.</summary>
    DeviceNotPermitted = 5,

    /// <summary>The device token has no grant for the target device.</summary>
    NotGranted = 6,

    /// <summary>A device token tried to act as (register as) a different device id.</summary>
    DeviceIdMismatch = 7,

    /// <summary>The action needs a target device id and none was given.</summary>
    MissingTarget = 8,

    /// <summary>The role may never perform this action (for example a family member registering a device).</summary>
    ActionNotAllowedForRole = 9,

    /// <summary>The action value is not a defined <see cref="MeshAction"/>.</summary>
    UnknownAction = 10,
}
