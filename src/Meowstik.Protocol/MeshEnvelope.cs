using System.Buffers;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// A decoded mesh message as a view over its bytes: header fields are <see cref="Utf8JsonSlice"/>s of the input
/// (no strings are created) and the payload is a validated raw JSON slice to be parsed lazily.
/// Produced by <see cref="EnvelopeReader"/>; valid only while the input buffer is.
/// </summary>
/// <remarks>The view keeps the input once plus the position of each field; slices are made when a property is read.</remarks>
public readonly ref struct MeshEnvelope
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly bool _isSequence;
    private readonly bool _hasTimestampValue;
    private readonly EnvelopeReader.FieldRange _id, _from, _to, _correlationId, _timestamp, _payload;
    private readonly DateTimeOffset _timestampValue;

    /// <summary>The command/query members the fast scanner located (not recorded on the reader path).</summary>
    /// <remarks>A field, not a property: the command reader reads it in place instead of copying it.</remarks>
    internal readonly EnvelopeReader.CommandMembers CommandMembers;

    /// <summary>The whole message, when it is contiguous (the offsets in <see cref="CommandMembers"/> refer to it).</summary>
    internal ReadOnlySpan<byte> ContiguousInput => _span;

    internal MeshEnvelope(
        MessageType type,
        ReadOnlySpan<byte> span,
        ReadOnlySequence<byte> sequence,
        bool isSequence,
        EnvelopeReader.FieldRange id,
        EnvelopeReader.FieldRange from,
        EnvelopeReader.FieldRange to,
        EnvelopeReader.FieldRange correlationId,
        EnvelopeReader.FieldRange timestamp,
        EnvelopeReader.FieldRange payload,
        DateTimeOffset timestampValue,
        bool hasTimestampValue,
        long length,
        scoped in EnvelopeReader.CommandMembers commandMembers = default)
    {
        CommandMembers = commandMembers;
        Type = type;
        _span = span;
        _sequence = sequence;
        _isSequence = isSequence;
        _id = id;
        _from = from;
        _to = to;
        _correlationId = correlationId;
        _timestamp = timestamp;
        _payload = payload;
        _timestampValue = timestampValue;
        _hasTimestampValue = hasTimestampValue;
        Length = length;
    }

    /// <summary>The message type.</summary>
    public MessageType Type { get; }

    /// <summary><c>id</c>, when present (the hub assigns one when absent).</summary>
    public Utf8JsonSlice Id => Slice(_id);

    /// <summary><c>from</c>, when present (the hub stamps it from the authenticated identity).</summary>
    public Utf8JsonSlice From => Slice(_from);

    /// <summary><c>to</c>, when present; absent means <c>hub</c>.</summary>
    public Utf8JsonSlice To => Slice(_to);

    /// <summary><c>correlation_id</c>: on <c>response</c> and <c>error</c>, the <c>id</c> of the message answered.</summary>
    public Utf8JsonSlice CorrelationId => Slice(_correlationId);

    /// <summary>The raw <c>timestamp</c> string, when present.</summary>
    public Utf8JsonSlice Timestamp => Slice(_timestamp);

    /// <summary>The parsed <c>timestamp</c>, when present.</summary>
    public DateTimeOffset? TimestampValue => _hasTimestampValue ? _timestampValue : null;

    /// <summary>The <c>payload</c> object as validated raw JSON, when present.</summary>
    public Utf8JsonSlice Payload => Slice(_payload);

    /// <summary>Total length of the message in bytes.</summary>
    public long Length { get; }

    /// <summary>True when the message is addressed to the hub (<c>to</c> is <c>hub</c> or absent).</summary>
    public bool IsToHub => _to.Type == JsonTokenType.None || To.ValueEquals(DeviceId.HubUtf8);

    /// <summary>True when the message is addressed to <c>broadcast</c>.</summary>
    public bool IsBroadcast => _to.Type != JsonTokenType.None && To.ValueEquals(DeviceId.BroadcastUtf8);

    /// <summary>True when the message has a payload object.</summary>
    public bool HasPayload => _payload.Type == JsonTokenType.StartObject;

    private Utf8JsonSlice Slice(scoped in EnvelopeReader.FieldRange range)
    {
        if (range.Type == JsonTokenType.None) return default;
        return _isSequence
            ? new Utf8JsonSlice(_sequence.Slice(range.Start, range.Length), range.Type, range.Escaped)
            : new Utf8JsonSlice(_span.Slice(range.Start, range.Length), range.Type, range.Escaped);
    }
}
