using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// A decoded mesh message as a view over its bytes: header fields are <see cref="Utf8JsonSlice"/>s of the input
/// (no strings are created) and the payload is a validated raw JSON slice to be parsed lazily.
/// Produced by <see cref="EnvelopeReader"/>; valid only while the input buffer is.
/// </summary>
public readonly ref struct MeshEnvelope
{
    internal MeshEnvelope(
        MessageType type,
        Utf8JsonSlice id,
        Utf8JsonSlice from,
        Utf8JsonSlice to,
        Utf8JsonSlice correlationId,
        Utf8JsonSlice timestamp,
        DateTimeOffset? timestampValue,
        Utf8JsonSlice payload,
        long length)
    {
        Type = type;
        Id = id;
        From = from;
        To = to;
        CorrelationId = correlationId;
        Timestamp = timestamp;
        TimestampValue = timestampValue;
        Payload = payload;
        Length = length;
    }

    /// <summary>The message type.</summary>
    public MessageType Type { get; }

    /// <summary><c>id</c>, when present (the hub assigns one when absent).</summary>
    public Utf8JsonSlice Id { get; }

    /// <summary><c>from</c>, when present (the hub stamps it from the authenticated identity).</summary>
    public Utf8JsonSlice From { get; }

    /// <summary><c>to</c>, when present; absent means <c>hub</c>.</summary>
    public Utf8JsonSlice To { get; }

    /// <summary><c>correlation_id</c>: on <c>response</c> and <c>error</c>, the <c>id</c> of the message answered.</summary>
    public Utf8JsonSlice CorrelationId { get; }

    /// <summary>The raw <c>timestamp</c> string, when present.</summary>
    public Utf8JsonSlice Timestamp { get; }

    /// <summary>The parsed <c>timestamp</c>, when present.</summary>
    public DateTimeOffset? TimestampValue { get; }

    /// <summary>The <c>payload</c> object as validated raw JSON, when present.</summary>
    public Utf8JsonSlice Payload { get; }

    /// <summary>Total length of the message in bytes.</summary>
    public long Length { get; }

    /// <summary>True when the message is addressed to the hub (<c>to</c> is <c>hub</c> or absent).</summary>
    public bool IsToHub => !To.IsPresent || To.ValueEquals(DeviceId.HubUtf8);

    /// <summary>True when the message is addressed to <c>broadcast</c>.</summary>
    public bool IsBroadcast => To.ValueEquals(DeviceId.BroadcastUtf8);

    /// <summary>True when the message has a payload object.</summary>
    public bool HasPayload => Payload.TokenType == JsonTokenType.StartObject;
}
