using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>Shared steps of the typed payload readers (the payload was already validated as JSON by the envelope reader).</summary>
internal static class PayloadReading
{
    /// <summary>Positions a reader on the payload's StartObject; false (with an error) when the payload is not an object.</summary>
    public static bool Begin(Utf8JsonSlice payload, out Utf8JsonReader reader, out ProtocolError error)
    {
        reader = default;
        if (payload.TokenType != JsonTokenType.StartObject)
        {
            error = new ProtocolError(payload.IsPresent ? ProtocolErrorCode.InvalidField : ProtocolErrorCode.MissingField, 0, "payload");
            return false;
        }
        reader = payload.CreateReader();
        reader.Read();
        error = default;
        return true;
    }

    /// <summary>Moves to the next top-level property name; false at the end of the object.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    public static bool Invalid(ref Utf8JsonReader reader, string field, out ProtocolError error)
    {
        error = new ProtocolError(ProtocolErrorCode.InvalidField, reader.TokenStartIndex, field);
        return false;
    }

    public static bool Missing(string field, out ProtocolError error)
    {
        error = new ProtocolError(ProtocolErrorCode.MissingField, 0, field);
        return false;
    }

    public static bool Duplicate(ref Utf8JsonReader reader, string field, out ProtocolError error)
    {
        error = new ProtocolError(ProtocolErrorCode.DuplicateField, reader.TokenStartIndex, field);
        return false;
    }

    /// <summary>Reads the current value as a string slice; false for any other token.</summary>
    public static bool String(Utf8JsonSlice payload, scoped ref Utf8JsonReader reader, out Utf8JsonSlice value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String) return false;
        value = payload.SliceCurrent(ref reader);
        return true;
    }

    /// <summary>Reads the current value as an optional non-negative integer; null is "absent".</summary>
    /// <summary>The current token opens an array whose elements are all strings; <paramref name="array"/> is its slice.</summary>
    public static bool StringArray(Utf8JsonSlice payload, scoped ref Utf8JsonReader reader, out Utf8JsonSlice array)
    {
        array = default;
        if (reader.TokenType != JsonTokenType.StartArray) return false;
        Utf8JsonReader probe = reader;
        while (probe.Read() && probe.TokenType != JsonTokenType.EndArray)
        {
            if (probe.TokenType != JsonTokenType.String) return false;
        }
        array = payload.SliceCurrent(ref reader);
        return true;
    }

    public static bool Int64(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        if (reader.TokenType == JsonTokenType.Null) return true;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value);
    }
}
