using System.Buffers;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>A decoded <c>register</c> message, copied out of the receive buffer so registration can await authentication.</summary>
internal sealed class RegistrationRequest
{
    public byte[] MessageId { get; private init; } = [];

    public string? From { get; private init; }

    public string? DeviceType { get; private init; }

    public string? DeviceName { get; private init; }

    public string[] Capabilities { get; private init; } = [];

    public string[] Features { get; private init; } = [];

    /// <summary>The declared read-only actions (<c>queries</c>); null when the device declared no action kinds (legacy).</summary>
    public string[]? Queries { get; private init; }

    /// <summary>The declared state-changing actions (<c>commands</c>); null when the device declared no action kinds (legacy).</summary>
    public string[]? Commands { get; private init; }

    /// <summary>Each capability with its actions (<c>actions</c>); null when the device did not send it.</summary>
    public Dictionary<string, string[]>? Actions { get; private init; }

    public string? AuthToken { get; private init; }

    public int Size { get; private init; }

    /// <summary>Decodes a register message. On failure, <paramref name="error"/> says why and <paramref name="messageId"/> carries the id if one was readable.</summary>
    public static bool TryParse(
        in ReadOnlySequence<byte> raw,
        ProtocolLimits limits,
        out RegistrationRequest? request,
        out ProtocolError error,
        out MessageType type,
        out byte[] messageId)
    {
        request = null;
        type = MessageType.Unknown;
        messageId = [];
        if (!EnvelopeReader.TryRead(raw, out MeshEnvelope envelope, out error, limits)) return false;
        type = envelope.Type;
        messageId = envelope.Id.IsPresent ? CopyString(envelope.Id) : [];
        if (envelope.Type != MessageType.Register) return false;
        if (!RegisterPayload.TryRead(envelope.Payload, out RegisterPayload payload, out error)) return false;
        request = new RegistrationRequest
        {
            MessageId = messageId,
            From = envelope.From.GetString(),
            DeviceType = payload.DeviceType.GetString(),
            DeviceName = payload.DeviceName.GetString(),
            Capabilities = payload.Capabilities.ToArray(),
            Features = payload.Features.IsPresent ? payload.Features.ToArray() : [],
            AuthToken = payload.AuthToken.GetString(),
            Queries = payload.DeclaresActionKinds ? (payload.Queries.IsPresent ? payload.Queries.ToArray() : []) : null,
            Commands = payload.DeclaresActionKinds ? (payload.Commands.IsPresent ? payload.Commands.ToArray() : []) : null,
            Actions = payload.GetActions(),
            Size = (int)envelope.Length,
        };
        return true;
    }

    private static byte[] CopyString(Utf8JsonSlice slice)
    {
        Span<byte> buffer = stackalloc byte[512];
        return slice.RawStringLength <= buffer.Length && slice.TryCopyString(buffer, out int written) ? buffer[..written].ToArray() : [];
    }
}
