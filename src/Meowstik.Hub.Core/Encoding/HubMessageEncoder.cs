using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// Encodes the hub's own messages (errors, replies, hub events) into pooled <see cref="OutboundFrame"/>s. One
/// <see cref="EnvelopeWriter"/> per thread, so any thread (receive loops, the timer, the host API) can encode without locking.
/// Timestamps always come from the caller (the hub's <see cref="TimeProvider"/>).
/// </summary>
internal static class HubMessageEncoder
{
    [ThreadStatic]
    private static EnvelopeWriter? t_writer;

    private static EnvelopeWriter Writer => t_writer ??= new EnvelopeWriter();

    /// <summary>Begins a message from <c>hub</c>; write the payload value with the returned writer, then call <see cref="End"/>.</summary>
    public static Utf8JsonWriter Begin(OutboundFrame output, MessageType type, ReadOnlySpan<byte> to, ReadOnlySpan<byte> correlationId, DateTimeOffset now)
    {
        var header = new EnvelopeHeader(type) { From = DeviceId.HubUtf8, To = to, CorrelationId = correlationId, Timestamp = now };
        return Writer.BeginEnvelope(output, header);
    }

    /// <summary>Begins a message with an explicit header (ids and timestamps given).</summary>
    public static Utf8JsonWriter Begin(OutboundFrame output, scoped in EnvelopeHeader header) => Writer.BeginEnvelope(output, header);

    /// <summary>Writes a complete message with a raw payload (empty: no payload).</summary>
    public static void Write(OutboundFrame output, scoped in EnvelopeHeader header, ReadOnlySpan<byte> rawPayload) =>
        Writer.Write(output, header, rawPayload);

    /// <summary>Ends the message begun on this thread.</summary>
    public static void End() => Writer.EndEnvelope();

    /// <summary>The id of the last message encoded on this thread.</summary>
    public static ReadOnlySpan<byte> LastId => Writer.LastId;

    /// <summary>An <c>error</c> from the hub.</summary>
    public static OutboundFrame Error(
        ReadOnlySpan<byte> to,
        ReadOnlySpan<byte> correlationId,
        string code,
        string message,
        DateTimeOffset now,
        string? field = null,
        long offset = -1)
    {
        OutboundFrame output = OutboundFrame.Rent();
        Utf8JsonWriter json = Begin(output, MessageType.Error, to, correlationId, now);
        json.WriteStartObject();
        json.WriteString("code"u8, code);
        json.WriteString("message"u8, message);
        if (field is not null) json.WriteString("field"u8, field);
        if (offset >= 0) json.WriteNumber("offset"u8, offset);
        json.WriteEndObject();
        End();
        return output;
    }

    /// <summary>An <c>error</c> for a codec failure (code = the protocol error's wire name).</summary>
    public static OutboundFrame ProtocolError(ReadOnlySpan<byte> to, ReadOnlySpan<byte> correlationId, in ProtocolError error, DateTimeOffset now)
    {
        OutboundFrame output = OutboundFrame.Rent();
        Utf8JsonWriter json = Begin(output, MessageType.Error, to, correlationId, now);
        ErrorPayload.Write(json, error);
        End();
        return output;
    }
}
