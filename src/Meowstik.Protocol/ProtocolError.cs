namespace Meowstik.Protocol;

/// <summary>A codec failure: what went wrong, where (byte offset into the message) and in which field.</summary>
/// <remarks><see cref="Field"/> is always a string literal owned by the codec, so creating an error never allocates.</remarks>
public readonly struct ProtocolError
{
    /// <summary>Creates an error.</summary>
    public ProtocolError(ProtocolErrorCode code, long offset, string? field = null)
    {
        Code = code;
        Offset = offset;
        Field = field;
    }

    /// <summary>What went wrong.</summary>
    public ProtocolErrorCode Code { get; }

    /// <summary>Byte offset into the message at (or near) which the problem was found.</summary>
    public long Offset { get; }

    /// <summary>The field concerned (wire name, e.g. <c>payload.action</c>), when there is one.</summary>
    public string? Field { get; }

    /// <summary>True when this represents a failure.</summary>
    public bool IsError => Code != ProtocolErrorCode.None;

    /// <inheritdoc />
    public override string ToString() => Field is null
        ? $"{ProtocolErrorCodes.GetWireName(Code)} at byte {Offset}"
        : $"{ProtocolErrorCodes.GetWireName(Code)} ({Field}) at byte {Offset}";
}
