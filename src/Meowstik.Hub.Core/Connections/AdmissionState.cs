namespace Meowstik.Hub.Connections;

/// <summary>What a connection holds in <see cref="ConnectionAdmission"/>'s counts.</summary>
internal enum AdmissionState
{
    /// <summary>Nothing (not admitted yet, or released).</summary>
    None,
    /// <summary>A place in the pre-authentication pool (and its address's count).</summary>
    Unauthenticated,
    /// <summary>A place of its token (and its address's count).</summary>
    Registered,
}
