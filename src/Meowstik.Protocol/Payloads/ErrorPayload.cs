using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// The <c>error</c> payload: <c>code</c> (a <see cref="MeshErrorCodes"/> or <see cref="ProtocolErrorCodes"/> name),
/// a human-readable <c>message</c>, and for codec failures the <c>field</c> and byte <c>offset</c>.
/// </summary>
public readonly ref struct ErrorPayload
{
    /// <summary>The error code.</summary>
    public Utf8JsonSlice Code { get; init; }

    /// <summary>A message safe to show to users, when present.</summary>
    public Utf8JsonSlice Message { get; init; }

    /// <summary>The offending field for codec failures, when present.</summary>
    public Utf8JsonSlice Field { get; init; }

    /// <summary>The byte offset for codec failures, or -1.</summary>
    public long Offset { get; init; }

    /// <summary>Writes an error payload.</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> code, ReadOnlySpan<byte> message, ReadOnlySpan<byte> field = default, long offset = -1)
    {
        writer.WriteStartObject();
        writer.WriteString("code"u8, code);
        writer.WriteString("message"u8, message);
        if (!field.IsEmpty) writer.WriteString("field"u8, field);
        if (offset >= 0) writer.WriteNumber("offset"u8, offset);
        writer.WriteEndObject();
    }

    /// <summary>Writes an error payload for a codec failure (code = the protocol error's wire name).</summary>
    public static void Write(Utf8JsonWriter writer, in ProtocolError error)
    {
        writer.WriteStartObject();
        writer.WriteString("code"u8, ProtocolErrorCodes.GetUtf8WireName(error.Code));
        writer.WriteString("message"u8, "The message was rejected by the protocol codec."u8);
        if (error.Field is not null) writer.WriteString("field"u8, error.Field);
        writer.WriteNumber("offset"u8, error.Offset);
        writer.WriteEndObject();
    }

    /// <summary>Reads an error payload; <c>code</c> is required.</summary>
    public static bool TryRead(Utf8JsonSlice payload, out ErrorPayload value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        Utf8JsonSlice code = default, message = default, field = default;
        long offset = -1;
        while (PayloadReading.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out code)) return PayloadReading.Invalid(ref reader, "payload.code", out error);
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out message)) return PayloadReading.Invalid(ref reader, "payload.message", out error);
            }
            else if (reader.ValueTextEquals("field"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out field)) return PayloadReading.Invalid(ref reader, "payload.field", out error);
            }
            else if (reader.ValueTextEquals("offset"u8))
            {
                reader.Read();
                if (!PayloadReading.Int64(ref reader, out offset)) return PayloadReading.Invalid(ref reader, "payload.offset", out error);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (!code.IsPresent) return PayloadReading.Missing("payload.code", out error);
        value = new ErrorPayload { Code = code, Message = message, Field = field, Offset = offset };
        return true;
    }
}
