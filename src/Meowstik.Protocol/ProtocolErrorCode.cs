namespace Meowstik.Protocol;

/// <summary>Why a message was rejected by the codec. Wire names are in <see cref="ProtocolErrorCodes"/>.</summary>
public enum ProtocolErrorCode : byte
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary><c>malformed_json</c>: not well-formed JSON, or not a JSON object at the top level.</summary>
    MalformedJson,
    /// <summary><c>invalid_utf8</c>: the bytes are not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary><c>missing_field</c>: a required field is absent (the error names it).</summary>
    MissingField,
    /// <summary><c>invalid_field</c>: a field has the wrong JSON type or an invalid value (the error names it).</summary>
    InvalidField,
    /// <summary><c>unknown_type</c>: <c>type</c> is not one of the protocol's message types.</summary>
    UnknownType,
    /// <summary><c>too_large</c>: the message exceeds <see cref="ProtocolLimits.MaxMessageBytes"/>.</summary>
    TooLarge,
    /// <summary><c>too_deep</c>: JSON nesting exceeds <see cref="ProtocolLimits.MaxDepth"/>.</summary>
    TooDeep,
    /// <summary><c>duplicate_field</c>: the same field appears twice in one object.</summary>
    DuplicateField,
    /// <summary><c>field_too_long</c>: a string field exceeds its length limit (the error names it).</summary>
    FieldTooLong,
    /// <summary><c>invalid_frame</c>: a binary stream frame is malformed (too short, unknown version, bad header length, header not a stream).</summary>
    InvalidFrame,
}
