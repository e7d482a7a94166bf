namespace Meowstik.Protocol;

/// <summary>
/// Validates a decoded envelope's payload against its type's schema (the second half of the conformance rules;
/// <see cref="EnvelopeReader"/> is the first). Does not allocate for valid or invalid input alike.
/// </summary>
/// <remarks>
/// register: <see cref="RegisterPayload"/> (capabilities and features arrays of strings); command/query:
/// <see cref="CommandPayload"/>, and a proxy's nested <c>command</c> must itself have a string <c>action</c>;
/// response: <see cref="ResponsePayload"/>; event: <see cref="EventPayload"/>; stream: <see cref="StreamChunk"/> with
/// <c>data</c> valid base64; heartbeat: <see cref="HeartbeatPayload"/>; error: <see cref="ErrorPayload"/>.
/// </remarks>
public static class PayloadValidator
{
    /// <summary>True when the payload is valid for <paramref name="envelope"/>'s type; else a typed error naming the field.</summary>
    public static bool TryValidate(scoped in MeshEnvelope envelope, out ProtocolError error)
    {
        switch (envelope.Type)
        {
            case MessageType.Register:
                return RegisterPayload.TryRead(envelope.Payload, out _, out error);
            case MessageType.Command:
            case MessageType.Query:
                return ValidateCommand(envelope, out error);
            case MessageType.Response:
                if (!envelope.HasPayload) return NoError(out error);
                return ResponsePayload.TryRead(envelope.Payload, out _, out error);
            case MessageType.Event:
                return EventPayload.TryRead(envelope.Payload, out _, out error);
            case MessageType.Stream:
                if (!StreamChunk.TryRead(envelope.Payload, out StreamChunk chunk, out error)) return false;
                if (StreamChunk.IsValidBase64(chunk.Data)) return true;
                error = new ProtocolError(ProtocolErrorCode.InvalidField, 0, "payload.data");
                return false;
            case MessageType.Heartbeat:
                return HeartbeatPayload.TryRead(envelope.Payload, out _, out error);
            case MessageType.Error:
                return ErrorPayload.TryRead(envelope.Payload, out _, out error);
            default:
                error = new ProtocolError(ProtocolErrorCode.UnknownType, 0, "type");
                return false;
        }
    }

    private static bool ValidateCommand(scoped in MeshEnvelope envelope, out ProtocolError error)
    {
        if (!CommandPayload.TryRead(envelope, out CommandPayload command, out error)) return false;
        if (!command.Command.IsPresent) return true;
        if (CommandPayload.TryRead(command.Command, out _, out ProtocolError inner)) return true;
        error = new ProtocolError(inner.Code, inner.Offset, inner.Field == "payload.action" ? "payload.command.action" : "payload.command");
        return false;
    }

    private static bool NoError(out ProtocolError error)
    {
        error = default;
        return true;
    }
}
