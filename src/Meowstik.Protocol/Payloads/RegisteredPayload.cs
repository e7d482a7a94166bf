using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// The hub's reply to <c>register</c> (a <c>response</c>): <c>status: registered</c>, <c>session_id</c>,
/// <c>heartbeat_interval</c> (ms), and <c>features</c>: the protocol extensions the device announced that the hub accepted
/// (absent from hubs that accept none, or predate the field).
/// </summary>
public readonly ref struct RegisteredPayload
{
    /// <summary><c>status</c>; <c>registered</c> on success.</summary>
    public Utf8JsonSlice Status { get; init; }

    /// <summary><c>session_id</c>.</summary>
    public Utf8JsonSlice SessionId { get; init; }

    /// <summary><c>heartbeat_interval</c> in milliseconds (0 when absent).</summary>
    public long HeartbeatIntervalMs { get; init; }

    /// <summary><c>features</c>: the announced extensions the hub accepted (e.g. <c>binary_streams</c>); empty when absent.</summary>
    public Utf8StringArray Features { get; init; }

    /// <summary>True when <see cref="Status"/> is <c>registered</c>.</summary>
    public bool IsRegistered => Status.ValueEquals("registered"u8);

    /// <summary>Writes <c>{"status":"registered","session_id":…,"heartbeat_interval":…}</c>.</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> sessionId, long heartbeatIntervalMs) =>
        Write(writer, sessionId, heartbeatIntervalMs, []);

    /// <summary>Writes <c>{"status":"registered","session_id":…,"heartbeat_interval":…,"features":[…]}</c>; <c>features</c> is omitted when empty.</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> sessionId, long heartbeatIntervalMs, ReadOnlySpan<string> features)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("status"u8, "registered"u8);
        writer.WriteString("session_id"u8, sessionId);
        writer.WriteNumber("heartbeat_interval"u8, heartbeatIntervalMs);
        if (!features.IsEmpty)
        {
            writer.WriteStartArray("features"u8);
            foreach (string feature in features) writer.WriteStringValue(feature);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    /// <summary>Reads the payload; <c>status</c> is required.</summary>
    public static bool TryRead(Utf8JsonSlice payload, out RegisteredPayload value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        Utf8JsonSlice status = default, session = default, features = default;
        long interval = 0;
        while (PayloadReading.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out status)) return PayloadReading.Invalid(ref reader, "payload.status", out error);
            }
            else if (reader.ValueTextEquals("session_id"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out session)) return PayloadReading.Invalid(ref reader, "payload.session_id", out error);
            }
            else if (reader.ValueTextEquals("heartbeat_interval"u8))
            {
                reader.Read();
                if (!PayloadReading.Int64(ref reader, out interval) || interval < 0) return PayloadReading.Invalid(ref reader, "payload.heartbeat_interval", out error);
            }
            else if (reader.ValueTextEquals("features"u8))
            {
                reader.Read();
                if (!PayloadReading.StringArray(payload, ref reader, out features)) return PayloadReading.Invalid(ref reader, "payload.features", out error);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (!status.IsPresent) return PayloadReading.Missing("payload.status", out error);
        value = new RegisteredPayload { Status = status, SessionId = session, HeartbeatIntervalMs = interval, Features = new Utf8StringArray(features) };
        return true;
    }
}
