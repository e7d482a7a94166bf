namespace Meowstik.Protocol;

/// <summary>Wire (snake_case) names of <see cref="ProtocolErrorCode"/> values, used in <c>error</c> payloads and test vectors.</summary>
public static class ProtocolErrorCodes
{
    /// <summary>Returns the wire name, e.g. <c>malformed_json</c>.</summary>
    public static string GetWireName(ProtocolErrorCode code) => code switch
    {
        ProtocolErrorCode.None => "none",
        ProtocolErrorCode.MalformedJson => "malformed_json",
        ProtocolErrorCode.InvalidUtf8 => "invalid_utf8",
        ProtocolErrorCode.MissingField => "missing_field",
        ProtocolErrorCode.InvalidField => "invalid_field",
        ProtocolErrorCode.UnknownType => "unknown_type",
        ProtocolErrorCode.TooLarge => "too_large",
        ProtocolErrorCode.TooDeep => "too_deep",
        ProtocolErrorCode.DuplicateField => "duplicate_field",
        ProtocolErrorCode.FieldTooLong => "field_too_long",
        ProtocolErrorCode.InvalidFrame => "invalid_frame",
        _ => "unknown",
    };

    /// <summary>Returns the wire name as UTF-8.</summary>
    public static ReadOnlySpan<byte> GetUtf8WireName(ProtocolErrorCode code) => code switch
    {
        ProtocolErrorCode.None => "none"u8,
        ProtocolErrorCode.MalformedJson => "malformed_json"u8,
        ProtocolErrorCode.InvalidUtf8 => "invalid_utf8"u8,
        ProtocolErrorCode.MissingField => "missing_field"u8,
        ProtocolErrorCode.InvalidField => "invalid_field"u8,
        ProtocolErrorCode.UnknownType => "unknown_type"u8,
        ProtocolErrorCode.TooLarge => "too_large"u8,
        ProtocolErrorCode.TooDeep => "too_deep"u8,
        ProtocolErrorCode.DuplicateField => "duplicate_field"u8,
        ProtocolErrorCode.FieldTooLong => "field_too_long"u8,
        ProtocolErrorCode.InvalidFrame => "invalid_frame"u8,
        _ => "unknown"u8,
    };

    /// <summary>Parses a wire name; returns false when it is not one.</summary>
    public static bool TryParse(string wireName, out ProtocolErrorCode code)
    {
        for (var c = ProtocolErrorCode.None; c <= ProtocolErrorCode.InvalidFrame; c++)
        {
            if (GetWireName(c) == wireName)
            {
                code = c;
                return true;
            }
        }
        code = ProtocolErrorCode.None;
        return false;
    }
}
