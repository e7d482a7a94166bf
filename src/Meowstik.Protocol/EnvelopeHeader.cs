namespace Meowstik.Protocol;

/// <summary>The header fields of a message to write. All text is UTF-8; empty spans are omitted from the output.</summary>
public ref struct EnvelopeHeader
{
    /// <summary>Creates a header of the given type.</summary>
    public EnvelopeHeader(MessageType type) => Type = type;

    /// <summary>The message type (required).</summary>
    public MessageType Type;

    /// <summary><c>id</c>; empty means the writer generates a fresh one.</summary>
    public ReadOnlySpan<byte> Id;

    /// <summary><c>from</c>; empty means omitted (the hub stamps it).</summary>
    public ReadOnlySpan<byte> From;

    /// <summary><c>to</c>; empty means omitted (read as <c>hub</c>).</summary>
    public ReadOnlySpan<byte> To;

    /// <summary><c>correlation_id</c>; empty means omitted.</summary>
    public ReadOnlySpan<byte> CorrelationId;

    /// <summary><c>timestamp</c>; null means "now" from the writer's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset? Timestamp;
}
