using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// The <c>response</c> payload. Responses are free-form: the screenshot reply carries <c>action</c> + <c>result</c>,
/// the hub's registration reply carries <c>status</c>, and the Comma 3X status reply puts its figures
/// (<c>gps</c>, <c>speed_mph</c>, …) at the top level. The common fields are sliced; <see cref="Raw"/> keeps everything
/// else reachable through <see cref="Utf8JsonSlice.TryGetProperty"/>. No field is required.
/// </summary>
public readonly ref struct ResponsePayload
{
    /// <summary><c>status</c> when it is a string (e.g. <c>registered</c>, <c>ok</c>), when present.</summary>
    public Utf8JsonSlice Status { get; init; }

    /// <summary><c>action</c>: the action answered, when present.</summary>
    public Utf8JsonSlice Action { get; init; }

    /// <summary><c>result</c> as raw JSON (any value), when present.</summary>
    public Utf8JsonSlice Result { get; init; }

    /// <summary>The whole payload object as raw JSON.</summary>
    public Utf8JsonSlice Raw { get; init; }

    /// <summary>Writes <c>{"status":…,"action":…,"result":…}</c>; empty spans are omitted, <paramref name="rawResult"/> is raw JSON.</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> action, ReadOnlySpan<byte> rawResult, ReadOnlySpan<byte> status = default)
    {
        writer.WriteStartObject();
        if (!status.IsEmpty) writer.WriteString("status"u8, status);
        if (!action.IsEmpty) writer.WriteString("action"u8, action);
        if (!rawResult.IsEmpty)
        {
            writer.WritePropertyName("result"u8);
            writer.WriteRawValue(rawResult, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    /// <summary>Reads a response payload. <c>action</c> must be a string when present; <c>status</c> is sliced only when it is a string.</summary>
    public static bool TryRead(Utf8JsonSlice payload, out ResponsePayload value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        Utf8JsonSlice status = default, action = default, result = default;
        while (PayloadReading.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                // Free-form: a non-string status belongs to the responder's own schema, reachable through Raw.
                if (reader.TokenType == JsonTokenType.String) status = payload.SliceCurrent(ref reader);
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("action"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out action)) return PayloadReading.Invalid(ref reader, "payload.action", out error);
            }
            else if (reader.ValueTextEquals("result"u8))
            {
                reader.Read();
                result = payload.SliceCurrent(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        value = new ResponsePayload { Status = status, Action = action, Result = result, Raw = payload };
        return true;
    }
}
