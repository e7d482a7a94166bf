using System.Text.Json;

namespace Meowstik.Protocol;

public static partial class EnvelopeReader
{
    // The fast path: a single pass of JsonScan over contiguous input, accepting exactly what the Utf8JsonReader path
    // accepts and producing the same envelope. It returns false for anything unusual (escaped names or device ids,
    // uncommon timestamp forms, duplicates, any error) and the caller falls back to the reader.
    private static bool TryReadFast(ReadOnlySpan<byte> s, ProtocolLimits limits, bool requireStreamData, out MeshEnvelope envelope)
    {
        envelope = default;
        int maxDepth = limits.MaxDepth;
        var fields = new EnvelopeFields();
        int p = JsonScan.SkipWhiteSpace(s, 0);
        if (p >= s.Length || s[p] != (byte)'{' || maxDepth < 1) return false;
        p = JsonScan.SkipWhiteSpace(s, p + 1);
        if (p < s.Length && s[p] == (byte)'}')
        {
            p++;
        }
        else
        {
            while (true)
            {
                if (p >= s.Length || s[p] != (byte)'"') return false;
                int nameEnd = JsonScan.String(s, p, out bool escapedName);
                if (nameEnd < 0 || escapedName) return false;
                EnvelopeField field = ClassifyName(s[(p + 1)..(nameEnd - 1)]);
                if (field != EnvelopeField.Unknown)
                {
                    if ((fields.Seen & (1 << (int)field)) != 0) return false;
                    fields.Seen |= 1 << (int)field;
                }
                p = JsonScan.SkipWhiteSpace(s, nameEnd);
                if (p >= s.Length || s[p] != (byte)':') return false;
                p = JsonScan.SkipWhiteSpace(s, p + 1);
                p = field switch
                {
                    EnvelopeField.Unknown => JsonScan.Value(s, p, 2, maxDepth),
                    EnvelopeField.Payload => ScanPayloadFast(s, p, maxDepth, ref fields),
                    _ => ScanHeaderField(s, p, field, limits, ref fields),
                };
                if (p < 0) return false;
                p = JsonScan.SkipWhiteSpace(s, p);
                if (p >= s.Length) return false;
                if (s[p] == (byte)'}')
                {
                    p++;
                    break;
                }
                if (s[p] != (byte)',') return false;
                p = JsonScan.SkipWhiteSpace(s, p + 1);
            }
        }
        if (JsonScan.SkipWhiteSpace(s, p) != s.Length) return false;
        if (!Validate(ref fields, requireStreamData, out _)) return false;

        fields.Command.IsRecorded = true;
        envelope = new MeshEnvelope(
            fields.Type, s, default, false,
            fields.Id, fields.From, fields.To, fields.CorrelationId, fields.Timestamp, fields.Payload,
            fields.TimestampValue, fields.HasTimestampValue, s.Length, fields.Command);
        return true;
    }

    // One of type, id, from, to, correlation_id, timestamp: always a string.
    private static int ScanHeaderField(ReadOnlySpan<byte> s, int p, EnvelopeField field, ProtocolLimits limits, ref EnvelopeFields fields)
    {
        if (p >= s.Length || s[p] != (byte)'"') return -1;
        int end = JsonScan.String(s, p, out bool escaped);
        if (end < 0) return -1;
        ReadOnlySpan<byte> content = s[(p + 1)..(end - 1)];
        switch (field)
        {
            case EnvelopeField.Type:
                if (escaped) return -1;
                fields.Type = MessageTypes.Parse(content);
                if (fields.Type == MessageType.Unknown) return -1;
                return end; // the type has no range: only its value is kept
            case EnvelopeField.Id:
            case EnvelopeField.CorrelationId:
                if (content.IsEmpty || content.Length > limits.MaxIdBytes) return -1;
                break;
            case EnvelopeField.From:
            case EnvelopeField.To:
                if (escaped || content.Length > Math.Min(limits.MaxDeviceIdLength, DeviceId.MaxLength) || !DeviceId.IsValid(content)) return -1;
                break;
            case EnvelopeField.Timestamp:
                if (escaped || !Iso8601Timestamp.TryParseCommon(content, out DateTimeOffset value)) return -1;
                fields.TimestampValue = value;
                fields.HasTimestampValue = true;
                break;
        }
        var range = new FieldRange { Start = p, Length = end - p, Type = JsonTokenType.String, Escaped = escaped };
        switch (field)
        {
            case EnvelopeField.Id: fields.Id = range; break;
            case EnvelopeField.From: fields.From = range; break;
            case EnvelopeField.To: fields.To = range; break;
            case EnvelopeField.CorrelationId: fields.CorrelationId = range; break;
            case EnvelopeField.Timestamp: fields.Timestamp = range; break;
        }
        return end;
    }

    // The payload object (level 2): records the per-type keys and their JSON kinds like ScanPayload does.
    private static int ScanPayloadFast(ReadOnlySpan<byte> s, int start, int maxDepth, ref EnvelopeFields fields)
    {
        if (start >= s.Length || s[start] != (byte)'{' || maxDepth < 2) return -1;
        int p = JsonScan.SkipWhiteSpace(s, start + 1);
        if (p < s.Length && s[p] == (byte)'}')
        {
            p++;
        }
        else
        {
            while (true)
            {
                if (p >= s.Length || s[p] != (byte)'"') return -1;
                int nameEnd = JsonScan.String(s, p, out bool escapedName);
                if (nameEnd < 0 || escapedName) return -1;
                ReadOnlySpan<byte> payloadName = s[(p + 1)..(nameEnd - 1)];
                PayloadKey key = ClassifyPayloadName(payloadName);
                CommandKey commandKey = key == PayloadKey.None ? ClassifyCommandName(payloadName) : CommandKey.None;
                p = JsonScan.SkipWhiteSpace(s, nameEnd);
                if (p >= s.Length || s[p] != (byte)':') return -1;
                p = JsonScan.SkipWhiteSpace(s, p + 1);
                if (key != PayloadKey.None)
                {
                    if ((fields.PayloadKeys & (1 << (int)key)) != 0 || p >= s.Length) return -1;
                    fields.PayloadKeys |= 1 << (int)key;
                    byte expected = key == PayloadKey.Capabilities ? (byte)'[' : (byte)'"';
                    if (s[p] != expected)
                    {
                        fields.WrongTypeKeys |= 1 << (int)key;
                        fields.WrongTypeOffsets[(int)key] = p;
                    }
                }
                int valueStart = p;
                p = JsonScan.Value(s, p, 3, maxDepth);
                if (p < 0) return -1;
                if (key == PayloadKey.Action || commandKey != CommandKey.None) RecordCommandMember(s, valueStart, p, commandKey, ref fields.Command);
                p = JsonScan.SkipWhiteSpace(s, p);
                if (p >= s.Length) return -1;
                if (s[p] == (byte)'}')
                {
                    p++;
                    break;
                }
                if (s[p] != (byte)',') return -1;
                p = JsonScan.SkipWhiteSpace(s, p + 1);
            }
        }
        fields.Payload = new FieldRange { Start = start, Length = p - start, Type = JsonTokenType.StartObject };
        return p;
    }

    private static EnvelopeField ClassifyName(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => EnvelopeField.Id,
        2 when name.SequenceEqual("to"u8) => EnvelopeField.To,
        4 when name.SequenceEqual("type"u8) => EnvelopeField.Type,
        4 when name.SequenceEqual("from"u8) => EnvelopeField.From,
        7 when name.SequenceEqual("payload"u8) => EnvelopeField.Payload,
        9 when name.SequenceEqual("timestamp"u8) => EnvelopeField.Timestamp,
        14 when name.SequenceEqual("correlation_id"u8) => EnvelopeField.CorrelationId,
        _ => EnvelopeField.Unknown,
    };

    private enum CommandKey { None = 0, Params, Target, Command, TimeoutMs }

    // Recorded for every type (the type may come after the payload); the last occurrence wins, as in CommandPayload's
    // reader. CommandKey.None here means action. The value was validated: a backslash in a string is an escape.
    private static void RecordCommandMember(ReadOnlySpan<byte> s, int start, int end, CommandKey key, ref CommandMembers members)
    {
        bool escaped = s[start] == (byte)'"' && s[(start + 1)..(end - 1)].Contains((byte)'\\');
        switch (key)
        {
            case CommandKey.None: members.ActionStart = start; members.ActionEnd = end; members.ActionEscaped = escaped; break;
            case CommandKey.Params: members.ParamsStart = start; members.ParamsEnd = end; members.ParamsEscaped = escaped; break;
            case CommandKey.Target: members.TargetStart = start; members.TargetEnd = end; members.TargetEscaped = escaped; break;
            case CommandKey.Command: members.CommandStart = start; members.CommandEnd = end; break;
            case CommandKey.TimeoutMs: members.TimeoutStart = start; members.TimeoutEnd = end; break;
        }
    }

    private static CommandKey ClassifyCommandName(ReadOnlySpan<byte> name) => name.Length switch
    {
        6 when name.SequenceEqual("params"u8) => CommandKey.Params,
        6 when name.SequenceEqual("target"u8) => CommandKey.Target,
        7 when name.SequenceEqual("command"u8) => CommandKey.Command,
        10 when name.SequenceEqual("timeout_ms"u8) => CommandKey.TimeoutMs,
        _ => CommandKey.None,
    };

    private static PayloadKey ClassifyPayloadName(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when name.SequenceEqual("data"u8) => PayloadKey.Data,
        4 when name.SequenceEqual("code"u8) => PayloadKey.Code,
        5 when name.SequenceEqual("event"u8) => PayloadKey.Event,
        6 when name.SequenceEqual("action"u8) => PayloadKey.Action,
        11 when name.SequenceEqual("stream_type"u8) => PayloadKey.StreamType,
        12 when name.SequenceEqual("capabilities"u8) => PayloadKey.Capabilities,
        _ => PayloadKey.None,
    };
}
