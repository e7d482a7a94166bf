using System.Buffers;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// Decodes a mesh message into a <see cref="MeshEnvelope"/> view without allocating.
/// Bad input never throws: the result is false with a typed <see cref="ProtocolError"/>.
/// </summary>
/// <remarks>
/// Rules: the top level is an object; <c>type</c> is required; <c>payload</c> is required for every type but
/// <c>heartbeat</c> and must be an object; <c>id</c>, <c>from</c>, <c>to</c>, <c>correlation_id</c>, <c>timestamp</c>
/// are optional strings; device ids are 1–64 of <c>[A-Za-z0-9._-]</c>; timestamps are ISO 8601 with an offset;
/// unknown fields are ignored; duplicate envelope fields are rejected; per-type payload fields are required
/// (register: <c>capabilities</c> array; command/query: <c>action</c>; stream: <c>stream_type</c> and <c>data</c>;
/// event: <c>event</c>; error: <c>code</c>).
/// </remarks>
public static partial class EnvelopeReader
{
    /// <summary>Decodes a message held in one contiguous buffer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8, out MeshEnvelope envelope, out ProtocolError error, ProtocolLimits? limits = null)
    {
        limits ??= ProtocolLimits.Default;
        // The fast path first, outside TryReadCore, whose frame (a Utf8JsonReader and more) is costly to set up.
        if (utf8.Length <= limits.MaxMessageBytes && System.Text.Unicode.Utf8.IsValid(utf8) && TryReadFast(utf8, limits, requireStreamData: true, out envelope))
        {
            error = default;
            return true;
        }
        return TryReadCore(utf8, default, false, out envelope, out error, limits, requireStreamData: true);
    }

    /// <summary>Decodes a message held in a (possibly multi-segment) sequence, e.g. straight from a <c>PipeReader</c>.</summary>
    public static bool TryRead(scoped in ReadOnlySequence<byte> utf8, out MeshEnvelope envelope, out ProtocolError error, ProtocolLimits? limits = null) =>
        utf8.IsSingleSegment
            ? TryReadCore(utf8.FirstSpan, default, false, out envelope, out error, limits ?? ProtocolLimits.Default, requireStreamData: true)
            : TryReadCore(default, utf8, true, out envelope, out error, limits ?? ProtocolLimits.Default, requireStreamData: true);

    /// <summary>
    /// The shared decoder. <paramref name="requireStreamData"/> false is the binary-stream-frame header mode:
    /// a <c>stream</c> payload must then NOT carry <c>data</c> (its bytes follow the header).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // cold: keep its frame out of TryRead
    internal static bool TryReadCore(
        ReadOnlySpan<byte> span,
        ReadOnlySequence<byte> sequence,
        bool isSequence,
        out MeshEnvelope envelope,
        out ProtocolError error,
        ProtocolLimits limits,
        bool requireStreamData)
    {
        envelope = default;
        if (isSequence) sequence = WithoutEmptyTail(sequence);
        long length = isSequence ? sequence.Length : span.Length;
        if (length > limits.MaxMessageBytes)
        {
            error = new ProtocolError(ProtocolErrorCode.TooLarge, limits.MaxMessageBytes);
            return false;
        }
        long invalidUtf8 = isSequence ? Utf8Validation.FindInvalid(sequence) : Utf8Validation.FindInvalid(span);
        if (invalidUtf8 >= 0)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidUtf8, invalidUtf8);
            return false;
        }
        // Contiguous, plain messages take the hand-written scanner; anything it does not accept is decoded again
        // below by Utf8JsonReader, which gives the canonical error (or accepts what the scanner leaves to it).
        if (!isSequence && TryReadFast(span, limits, requireStreamData, out envelope))
        {
            error = default;
            return true;
        }

        // The reader's own depth limit sits one above ours so that our check (with a typed error) fires first.
        var options = new JsonReaderOptions { MaxDepth = limits.MaxDepth + 1 };
        Utf8JsonReader reader = isSequence ? new Utf8JsonReader(sequence, options) : new Utf8JsonReader(span, options);
        var fields = new EnvelopeFields();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = new ProtocolError(ProtocolErrorCode.MalformedJson, reader.TokenStartIndex, null);
                return false;
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                long nameOffset = reader.TokenStartIndex;
                if (!CheckEscapes(ref reader, out error)) return false;
                EnvelopeField field = Classify(ref reader);
                if (field != EnvelopeField.Unknown)
                {
                    if ((fields.Seen & (1 << (int)field)) != 0)
                    {
                        error = new ProtocolError(ProtocolErrorCode.DuplicateField, nameOffset, FieldName(field));
                        return false;
                    }
                    fields.Seen |= 1 << (int)field;
                }
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !CheckEscapes(ref reader, out error)) return false;
                if (!ReadField(ref reader, field, ref fields, limits, out error)) return false;
                if (field == EnvelopeField.Unknown && !SkipValue(ref reader, limits, out error)) return false;
            }
            // Anything after the closing brace other than white space is malformed (the reader throws on it).
            if (reader.Read())
            {
                error = new ProtocolError(ProtocolErrorCode.MalformedJson, reader.TokenStartIndex);
                return false;
            }
        }
        catch (JsonException ex)
        {
            long offset = ex.LineNumber == 0 && ex.BytePositionInLine is long p ? p : reader.BytesConsumed;
            error = new ProtocolError(ProtocolErrorCode.MalformedJson, offset);
            return false;
        }

        if (!Validate(ref fields, requireStreamData, out error)) return false;

        envelope = new MeshEnvelope(
            fields.Type, span, sequence, isSequence,
            fields.Id, fields.From, fields.To, fields.CorrelationId, fields.Timestamp, fields.Payload,
            fields.TimestampValue, fields.HasTimestampValue, length);
        error = default;
        return true;
    }

    // Utf8JsonReader throws IndexOutOfRangeException (not JsonException) on a truncated literal such as `{"a":tru`
    // when the sequence ends with an empty segment, which a pipe can produce: drop such segments first.
    private static ReadOnlySequence<byte> WithoutEmptyTail(ReadOnlySequence<byte> sequence)
    {
        if (sequence.IsSingleSegment || sequence.End.GetInteger() != 0) return sequence;
        SequencePosition cursor = sequence.Start, end = sequence.Start;
        while (true)
        {
            SequencePosition at = cursor;
            if (!sequence.TryGet(ref cursor, out ReadOnlyMemory<byte> memory)) break;
            if (!memory.IsEmpty) end = new SequencePosition(at.GetObject(), at.GetInteger() + memory.Length);
        }
        return sequence.Slice(sequence.Start, end);
    }

    private static bool ReadField(ref Utf8JsonReader reader, EnvelopeField field, ref EnvelopeFields fields, ProtocolLimits limits, out ProtocolError error)
    {
        error = default;
        switch (field)
        {
            case EnvelopeField.Type:
                if (reader.TokenType != JsonTokenType.String) return Invalid(ref reader, "type", out error);
                fields.Type = ParseType(ref reader);
                if (fields.Type == MessageType.Unknown)
                {
                    error = new ProtocolError(ProtocolErrorCode.UnknownType, reader.TokenStartIndex, "type");
                    return false;
                }
                return true;
            case EnvelopeField.Id:
            case EnvelopeField.CorrelationId:
                if (reader.TokenType != JsonTokenType.String) return Invalid(ref reader, FieldName(field), out error);
                if (reader.ValueIsEmpty() || ValueLength(ref reader) > limits.MaxIdBytes)
                {
                    error = new ProtocolError(
                        reader.ValueIsEmpty() ? ProtocolErrorCode.InvalidField : ProtocolErrorCode.FieldTooLong,
                        reader.TokenStartIndex,
                        FieldName(field));
                    return false;
                }
                SetRange(ref reader, field, ref fields);
                return true;
            case EnvelopeField.From:
            case EnvelopeField.To:
                if (reader.TokenType != JsonTokenType.String) return Invalid(ref reader, FieldName(field), out error);
                if (!IsValidDeviceId(ref reader, limits))
                {
                    error = new ProtocolError(
                        ValueLength(ref reader) > limits.MaxDeviceIdLength ? ProtocolErrorCode.FieldTooLong : ProtocolErrorCode.InvalidField,
                        reader.TokenStartIndex,
                        FieldName(field));
                    return false;
                }
                SetRange(ref reader, field, ref fields);
                return true;
            case EnvelopeField.Timestamp:
                if (reader.TokenType != JsonTokenType.String
                    || !reader.TryGetDateTimeOffset(out DateTimeOffset value)
                    || !HasOffset(ref reader))
                {
                    return Invalid(ref reader, "timestamp", out error);
                }
                fields.TimestampValue = value;
                fields.HasTimestampValue = true;
                SetRange(ref reader, field, ref fields);
                return true;
            case EnvelopeField.Payload:
                if (reader.TokenType != JsonTokenType.StartObject) return Invalid(ref reader, "payload", out error);
                fields.Payload.Start = (int)reader.TokenStartIndex;
                fields.Payload.Type = JsonTokenType.StartObject;
                if (!ScanPayload(ref reader, ref fields, limits, out error)) return false;
                fields.Payload.Length = (int)(reader.BytesConsumed - fields.Payload.Start);
                return true;
            default:
                return true;
        }
    }

    // Walks the payload object: enforces depth, rejects duplicate known keys and records the per-type required keys.
    private static bool ScanPayload(ref Utf8JsonReader reader, ref EnvelopeFields fields, ProtocolLimits limits, out ProtocolError error)
    {
        if (!CheckDepth(ref reader, limits, out error)) return false;
        int depth = reader.CurrentDepth;
        PayloadKey pending = PayloadKey.None;
        while (reader.Read())
        {
            JsonTokenType type = reader.TokenType;
            if (pending != PayloadKey.None)
            {
                // The type may come after the payload, so a key's JSON type is only recorded here and judged in
                // Validate, for the message types that define the key (an event's `data` may be any value).
                JsonTokenType expected = pending == PayloadKey.Capabilities ? JsonTokenType.StartArray : JsonTokenType.String;
                fields.PayloadKeys |= 1 << (int)pending;
                if (type != expected)
                {
                    fields.WrongTypeKeys |= 1 << (int)pending;
                    fields.WrongTypeOffsets[(int)pending] = reader.TokenStartIndex;
                }
                pending = PayloadKey.None;
            }
            switch (type)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (!CheckDepth(ref reader, limits, out error)) return false;
                    break;
                case JsonTokenType.EndObject when reader.CurrentDepth == depth:
                    return true;
                case JsonTokenType.String:
                    if (!CheckEscapes(ref reader, out error)) return false;
                    break;
                case JsonTokenType.PropertyName:
                    if (!CheckEscapes(ref reader, out error)) return false;
                    if (reader.CurrentDepth != depth + 1) break;
                    PayloadKey key = ClassifyPayloadKey(ref reader);
                    if (key != PayloadKey.None)
                    {
                        if ((fields.PayloadKeys & (1 << (int)key)) != 0)
                        {
                            error = new ProtocolError(ProtocolErrorCode.DuplicateField, reader.TokenStartIndex, PayloadKeyName(key));
                            return false;
                        }
                        pending = key;
                    }
                    break;
            }
        }
        error = new ProtocolError(ProtocolErrorCode.MalformedJson, reader.BytesConsumed);
        return false;
    }

    private static bool SkipValue(ref Utf8JsonReader reader, ProtocolLimits limits, out ProtocolError error)
    {
        error = default;
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return true;
        if (!CheckDepth(ref reader, limits, out error)) return false;
        int depth = reader.CurrentDepth;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (!CheckDepth(ref reader, limits, out error)) return false;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray when reader.CurrentDepth == depth:
                    return true;
                case JsonTokenType.String or JsonTokenType.PropertyName:
                    if (!CheckEscapes(ref reader, out error)) return false;
                    break;
            }
        }
        error = new ProtocolError(ProtocolErrorCode.MalformedJson, reader.BytesConsumed);
        return false;
    }

    private static bool CheckEscapes(ref Utf8JsonReader reader, out ProtocolError error)
    {
        if (JsonEscapes.HasValidSurrogates(ref reader))
        {
            error = default;
            return true;
        }
        error = new ProtocolError(ProtocolErrorCode.InvalidUtf8, reader.TokenStartIndex);
        return false;
    }

    private static bool CheckDepth(ref Utf8JsonReader reader, ProtocolLimits limits, out ProtocolError error)
    {
        // CurrentDepth of a container's start token counts its enclosing containers; its own level is one more.
        if (reader.CurrentDepth + 1 > limits.MaxDepth)
        {
            error = new ProtocolError(ProtocolErrorCode.TooDeep, reader.TokenStartIndex);
            return false;
        }
        error = default;
        return true;
    }

    private static bool Validate(ref EnvelopeFields fields, bool requireStreamData, out ProtocolError error)
    {
        if ((fields.Seen & (1 << (int)EnvelopeField.Type)) == 0)
        {
            error = new ProtocolError(ProtocolErrorCode.MissingField, 0, "type");
            return false;
        }
        bool hasPayload = fields.Payload.Type == JsonTokenType.StartObject;
        if (!hasPayload && fields.Type != MessageType.Heartbeat)
        {
            error = new ProtocolError(ProtocolErrorCode.MissingField, 0, "payload");
            return false;
        }
        bool ok = fields.Type switch
        {
            MessageType.Register => Require(ref fields, PayloadKey.Capabilities, out error),
            MessageType.Command or MessageType.Query => Require(ref fields, PayloadKey.Action, out error),
            MessageType.Stream => Require(ref fields, PayloadKey.StreamType, out error)
                && (requireStreamData ? Require(ref fields, PayloadKey.Data, out error) : NoError(out error)),
            MessageType.Event => Require(ref fields, PayloadKey.Event, out error),
            MessageType.Error => Require(ref fields, PayloadKey.Code, out error),
            _ => NoError(out error),
        };
        if (!ok) return false;
        // The header of a binary stream frame carries its bytes after the JSON: a `data` field there is ambiguous.
        if (!requireStreamData && fields.Type == MessageType.Stream && (fields.PayloadKeys & (1 << (int)PayloadKey.Data)) != 0)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidField, fields.Payload.Start, PayloadKeyName(PayloadKey.Data));
            return false;
        }
        error = default;
        return true;
    }

    // A required payload key: present, and of its JSON type.
    private static bool Require(ref EnvelopeFields fields, PayloadKey key, out ProtocolError error)
    {
        if ((fields.PayloadKeys & (1 << (int)key)) == 0)
        {
            error = new ProtocolError(ProtocolErrorCode.MissingField, fields.Payload.Start, PayloadKeyName(key));
            return false;
        }
        return TypedIfPresent(ref fields, key, out error);
    }

    private static bool TypedIfPresent(ref EnvelopeFields fields, PayloadKey key, out ProtocolError error)
    {
        if ((fields.WrongTypeKeys & (1 << (int)key)) != 0)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidField, fields.WrongTypeOffsets[(int)key], PayloadKeyName(key));
            return false;
        }
        error = default;
        return true;
    }

    private static bool NoError(out ProtocolError error)
    {
        error = default;
        return true;
    }

    private static bool Invalid(ref Utf8JsonReader reader, string field, out ProtocolError error)
    {
        error = new ProtocolError(ProtocolErrorCode.InvalidField, reader.TokenStartIndex, field);
        return false;
    }

    private static void SetRange(ref Utf8JsonReader reader, EnvelopeField field, ref EnvelopeFields fields)
    {
        var range = new FieldRange
        {
            Start = (int)reader.TokenStartIndex,
            Length = (int)(reader.BytesConsumed - reader.TokenStartIndex),
            Type = JsonTokenType.String,
            Escaped = reader.ValueIsEscaped,
        };
        switch (field)
        {
            case EnvelopeField.Id: fields.Id = range; break;
            case EnvelopeField.From: fields.From = range; break;
            case EnvelopeField.To: fields.To = range; break;
            case EnvelopeField.CorrelationId: fields.CorrelationId = range; break;
            case EnvelopeField.Timestamp: fields.Timestamp = range; break;
        }
    }

    private static int ValueLength(ref Utf8JsonReader reader) =>
        reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;

    private static bool IsValidDeviceId(ref Utf8JsonReader reader, ProtocolLimits limits)
    {
        int max = Math.Min(limits.MaxDeviceIdLength, DeviceId.MaxLength);
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return reader.ValueSpan.Length <= max && DeviceId.IsValid(reader.ValueSpan);
        }
        // Escaped or split across segments: unescape into a small stack buffer (device ids are short ASCII).
        if (ValueLength(ref reader) > max * 6) return false;
        Span<byte> buffer = stackalloc byte[DeviceId.MaxLength * 6];
        int written = reader.CopyString(buffer);
        return written <= max && DeviceId.IsValid(buffer[..written]);
    }

    private static MessageType ParseType(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence) return MessageTypes.Parse(reader.ValueSpan);
        if (ValueLength(ref reader) > 64) return MessageType.Unknown;
        Span<byte> buffer = stackalloc byte[64];
        int written = reader.CopyString(buffer);
        return MessageTypes.Parse(buffer[..written]);
    }

    private static bool HasOffset(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence) return Iso8601Timestamp.HasOffset(reader.ValueSpan);
        if (ValueLength(ref reader) > 256) return false;
        Span<byte> buffer = stackalloc byte[256];
        int written = reader.CopyString(buffer);
        return Iso8601Timestamp.HasOffset(buffer[..written]);
    }

    private static EnvelopeField Classify(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            ReadOnlySpan<byte> name = reader.ValueSpan;
            switch (name.Length)
            {
                case 2 when name.SequenceEqual("id"u8): return EnvelopeField.Id;
                case 2 when name.SequenceEqual("to"u8): return EnvelopeField.To;
                case 4 when name.SequenceEqual("type"u8): return EnvelopeField.Type;
                case 4 when name.SequenceEqual("from"u8): return EnvelopeField.From;
                case 7 when name.SequenceEqual("payload"u8): return EnvelopeField.Payload;
                case 9 when name.SequenceEqual("timestamp"u8): return EnvelopeField.Timestamp;
                case 14 when name.SequenceEqual("correlation_id"u8): return EnvelopeField.CorrelationId;
                default: return EnvelopeField.Unknown;
            }
        }
        if (reader.ValueTextEquals("id"u8)) return EnvelopeField.Id;
        if (reader.ValueTextEquals("to"u8)) return EnvelopeField.To;
        if (reader.ValueTextEquals("type"u8)) return EnvelopeField.Type;
        if (reader.ValueTextEquals("from"u8)) return EnvelopeField.From;
        if (reader.ValueTextEquals("payload"u8)) return EnvelopeField.Payload;
        if (reader.ValueTextEquals("timestamp"u8)) return EnvelopeField.Timestamp;
        if (reader.ValueTextEquals("correlation_id"u8)) return EnvelopeField.CorrelationId;
        return EnvelopeField.Unknown;
    }

    private static PayloadKey ClassifyPayloadKey(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("action"u8)) return PayloadKey.Action;
        if (reader.ValueTextEquals("data"u8)) return PayloadKey.Data;
        if (reader.ValueTextEquals("stream_type"u8)) return PayloadKey.StreamType;
        if (reader.ValueTextEquals("capabilities"u8)) return PayloadKey.Capabilities;
        if (reader.ValueTextEquals("event"u8)) return PayloadKey.Event;
        if (reader.ValueTextEquals("code"u8)) return PayloadKey.Code;
        return PayloadKey.None;
    }

    private static string FieldName(EnvelopeField field) => field switch
    {
        EnvelopeField.Id => "id",
        EnvelopeField.Type => "type",
        EnvelopeField.From => "from",
        EnvelopeField.To => "to",
        EnvelopeField.Timestamp => "timestamp",
        EnvelopeField.Payload => "payload",
        EnvelopeField.CorrelationId => "correlation_id",
        _ => "unknown",
    };

    private static string PayloadKeyName(PayloadKey key) => key switch
    {
        PayloadKey.Action => "payload.action",
        PayloadKey.Data => "payload.data",
        PayloadKey.StreamType => "payload.stream_type",
        PayloadKey.Capabilities => "payload.capabilities",
        PayloadKey.Event => "payload.event",
        PayloadKey.Code => "payload.code",
        _ => "payload",
    };

    private enum EnvelopeField { Unknown = 0, Id, Type, From, To, Timestamp, Payload, CorrelationId }

    private enum PayloadKey { None = 0, Action, Data, StreamType, Capabilities, Event, Code }

    [System.Runtime.CompilerServices.InlineArray(7)]
    private struct KeyOffsets
    {
        private long _first;
    }

    /// <summary>Where a field's raw value lies in the message (messages are at most int.MaxValue bytes).</summary>
    internal struct FieldRange
    {
        public int Start;
        public int Length;
        public JsonTokenType Type;
        public bool Escaped;
    }

    /// <summary>
    /// Where the fast scanner found the command/query members (<c>action</c>, <c>params</c>, <c>target</c>,
    /// <c>command</c>, <c>timeout_ms</c>) at the payload's top level, as [start, end) offsets into the message, so that
    /// <see cref="CommandPayload"/> can build its view without scanning the payload again. End 0: absent.
    /// Only set when the whole message went through the fast scanner (<see cref="IsRecorded"/>).
    /// </summary>
    internal struct CommandMembers
    {
        public int ActionStart, ActionEnd, ParamsStart, ParamsEnd, TargetStart, TargetEnd, CommandStart, CommandEnd, TimeoutStart, TimeoutEnd;
        public bool ActionEscaped, ParamsEscaped, TargetEscaped, IsRecorded;
    }

    private struct EnvelopeFields
    {
        public CommandMembers Command;
        public int Seen;
        public int PayloadKeys;
        public int WrongTypeKeys;
        public KeyOffsets WrongTypeOffsets;
        public MessageType Type;
        public FieldRange Id, From, To, CorrelationId, Timestamp, Payload;
        public DateTimeOffset TimestampValue;
        public bool HasTimestampValue;
    }
}
