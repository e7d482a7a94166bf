using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// Makes the bytes the recipients of a routed message get: the original bytes when <c>from</c>, <c>id</c> and
/// <c>timestamp</c> (and, when given, <c>to</c>) are already right, otherwise the envelope re-encoded once, stamped with the
/// sender's registered id, an id and the time of arrival. Never trusts a client's <c>from</c>: the router has already
/// refused one naming anyone else.
/// </summary>
internal sealed class EnvelopeStamper(TimeProvider time)
{
    /// <summary>
    /// Returns the bytes to queue for <paramref name="envelope"/> (the caller owns one reference). The id the recipients see
    /// is written to <paramref name="finalId"/>.
    /// </summary>
    public OutboundFrame Stamp(
        MeshConnection sender,
        in MeshEnvelope envelope,
        in ReadOnlySequence<byte> raw,
        ReadOnlySpan<byte> id,
        ReadOnlySpan<byte> to,
        Span<byte> finalId,
        out int finalIdLength)
    {
        bool toIsRight = to.IsEmpty || envelope.To.ValueEquals(to);
        if (envelope.From.IsPresent && !id.IsEmpty && envelope.Timestamp.IsPresent && toIsRight)
        {
            id.CopyTo(finalId);
            finalIdLength = id.Length;
            return OutboundFrame.Copy(raw, WebSocketMessageType.Text);
        }
        Span<byte> toBuffer = stackalloc byte[DeviceId.MaxLength];
        Span<byte> correlationBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        var header = new EnvelopeHeader(envelope.Type)
        {
            Id = id,
            From = sender.DeviceIdUtf8,
            To = to.IsEmpty ? EnvelopeText.Copy(envelope.To, toBuffer) : to,
            CorrelationId = EnvelopeText.Copy(envelope.CorrelationId, correlationBuffer),
            Timestamp = envelope.TimestampValue ?? time.GetUtcNow(),
        };
        OutboundFrame message = OutboundFrame.Rent();
        if (envelope.HasPayload)
        {
            Utf8JsonWriter json = HubMessageEncoder.Begin(message, header);
            envelope.Payload.WriteRawValueTo(json);
            HubMessageEncoder.End();
        }
        else
        {
            HubMessageEncoder.Write(message, header, default);
        }
        ReadOnlySpan<byte> written = HubMessageEncoder.LastId;
        written.CopyTo(finalId);
        finalIdLength = written.Length;
        return message;
    }
}
