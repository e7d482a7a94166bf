using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// The <c>event</c> payload: <c>event</c> (required name, e.g. <c>device_connected</c>) and optional <c>data</c> (any JSON value).
/// Events are free-form (the design document's <c>device_connected</c> puts <c>device_id</c> at the top level), so
/// <see cref="Raw"/> keeps the whole payload for <see cref="Utf8JsonSlice.TryGetProperty"/>.
/// </summary>
public readonly ref struct EventPayload
{
    /// <summary><c>event</c>: the event name.</summary>
    public Utf8JsonSlice Event { get; init; }

    /// <summary><c>data</c> as raw JSON (any value), when present.</summary>
    public Utf8JsonSlice Data { get; init; }

    /// <summary>The whole payload object as raw JSON.</summary>
    public Utf8JsonSlice Raw { get; init; }

    /// <summary>Writes <c>{"event":…,"data":…}</c>; <paramref name="rawData"/> is raw JSON (empty: omitted).</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> rawData = default)
    {
        writer.WriteStartObject();
        writer.WriteString("event"u8, eventName);
        if (!rawData.IsEmpty)
        {
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(rawData, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    /// <summary>Reads an event payload; <c>event</c> is required and must be a string.</summary>
    public static bool TryRead(Utf8JsonSlice payload, out EventPayload value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        Utf8JsonSlice name = default, data = default;
        while (PayloadReading.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("event"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out name)) return PayloadReading.Invalid(ref reader, "payload.event", out error);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                data = payload.SliceCurrent(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (!name.IsPresent) return PayloadReading.Missing("payload.event", out error);
        value = new EventPayload { Event = name, Data = data, Raw = payload };
        return true;
    }
}
