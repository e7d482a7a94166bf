namespace Meowstik.Hub.Core;

/// <summary>Whether <see cref="ConnectionAdmission"/> let a new connection in, and if not, which limit refused it.</summary>
internal enum AdmissionResult
{
    Admitted,
    /// <summary>The pre-authentication pool is full.</summary>
    UnauthenticatedPoolFull,
    /// <summary>Too many open connections from this address.</summary>
    AddressLimit,
    /// <summary>Too many not-yet-registered connections from this address.</summary>
    UnauthenticatedAddressLimit,
}

/// <summary>Stable snake_case names of <see cref="AdmissionResult"/> values (metric tags, audit reasons, logs).</summary>
internal static class AdmissionResults
{
    public static string ToName(this AdmissionResult result) => result switch
    {
        AdmissionResult.UnauthenticatedPoolFull => "unauthenticated_pool_full",
        AdmissionResult.AddressLimit => "address_limit",
        AdmissionResult.UnauthenticatedAddressLimit => "unauthenticated_address_limit",
        _ => "admitted",
    };
}
