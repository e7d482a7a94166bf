namespace Meowstik.Hub.Core;

/// <summary>What a connection holds in <see cref="ConnectionAdmission"/>'s counts.</summary>
internal enum AdmissionState
{
    /// <summary>Nothing (not admitted yet, or released).</summary>
    None,
    /// <summary>A place in the pre-authentication pool (and its address's count).</summary>
    Unauthenticated,
    /// <summary>Proved a valid token at the upgrade, not registered yet: its address's count only.</summary>
    Authenticated,
    /// <summary>A place of its token (and its address's count).</summary>
    Registered,
}
