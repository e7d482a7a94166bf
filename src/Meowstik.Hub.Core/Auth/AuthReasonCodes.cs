namespace Meowstik.Hub.Core;

/// <summary>
/// Stable, allocation-free snake_case codes for every auth reason enum: the same names appear in protocol errors,
/// logs, metric tags and audit rows.
/// </summary>
public static class AuthReasonCodes
{
    /// <summary>The snake_case code for a denial, for error messages, logs, metrics tags and audit rows.</summary>
    public static string ToCode(this DenialReason reason) => reason switch
    {
        DenialReason.None => "none",
        DenialReason.TokenExpired => "token_expired",
        DenialReason.TokenRevoked => "token_revoked",
        DenialReason.GuestNoDeviceAccess => "guest_no_device_access",
        DenialReason.FamilyReadOnly => "family_read_only",
        DenialReason.DeviceNotPermitted => "device_not_permitted",
        DenialReason.NotGranted => "not_granted",
        DenialReason.DeviceIdMismatch => "device_id_mismatch",
        DenialReason.MissingTarget => "missing_target",
        DenialReason.ActionNotAllowedForRole => "action_not_allowed_for_role",
        _ => "unknown_action",
    };

    /// <summary>The snake_case code for an authentication failure.</summary>
    public static string ToCode(this AuthFailure failure) => failure switch
    {
        AuthFailure.None => "none",
        AuthFailure.Missing => "token_missing",
        AuthFailure.Malformed => "token_malformed",
        AuthFailure.Unknown => "token_unknown",
        AuthFailure.Expired => "token_expired",
        AuthFailure.Revoked => "token_revoked",
        _ => "token_invalid",
    };

    /// <summary>The snake_case code for a catch-phrase exchange failure.</summary>
    public static string ToCode(this CatchPhraseFailure failure) => failure switch
    {
        CatchPhraseFailure.None => "none",
        CatchPhraseFailure.Malformed => "catch_phrase_malformed",
        CatchPhraseFailure.NoMatch => "catch_phrase_no_match",
        _ => "rate_limited",
    };
}
