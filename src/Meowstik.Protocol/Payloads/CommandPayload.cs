using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// The payload of a <c>command</c> or <c>query</c>: <c>action</c>, optional <c>params</c>, and for the home-server
/// proxy a <c>target</c> sub-device with a nested <c>command</c> object.
/// </summary>
public readonly ref struct CommandPayload
{
    /// <summary>The action name, e.g. <c>speak</c>.</summary>
    public Utf8JsonSlice Action { get; init; }

    /// <summary><c>params</c> as raw JSON (any value), when present.</summary>
    public Utf8JsonSlice Params { get; init; }

    /// <summary><c>target</c>: the sub-device a proxy command is for, when present.</summary>
    public Utf8JsonSlice Target { get; init; }

    /// <summary>The nested <c>command</c> object (with its own <c>action</c>/<c>params</c>) of a proxy command, when present.</summary>
    public Utf8JsonSlice Command { get; init; }

    /// <summary>Optional per-message timeout in milliseconds (<c>timeout_ms</c>), 0 when absent.</summary>
    public long TimeoutMs { get; init; }

    /// <summary>Writes a payload object: <c>{"action":…,"params":…}</c>; <paramref name="rawParams"/> is raw JSON (empty: omitted).</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> action, ReadOnlySpan<byte> rawParams = default, long timeoutMs = 0)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (TryWriteComposed(writer, action, rawParams, timeoutMs)) return;
        writer.WriteStartObject();
        writer.WriteString("action"u8, action);
        if (!rawParams.IsEmpty)
        {
            writer.WritePropertyName("params"u8);
            writer.WriteRawValue(rawParams, skipInputValidation: true);
        }
        if (timeoutMs > 0) writer.WriteNumber("timeout_ms"u8, timeoutMs);
        writer.WriteEndObject();
    }

    // The common case (a plain action name, small params) is composed on the stack and handed to the writer in one
    // raw write, which skips its per-token bookkeeping; anything needing escapes takes the token-by-token path.
    private static bool TryWriteComposed(Utf8JsonWriter writer, ReadOnlySpan<byte> action, ReadOnlySpan<byte> rawParams, long timeoutMs)
    {
        const int Capacity = 512;
        if (action.Length + rawParams.Length > Capacity - 64 || action.IndexOfAny(PlainText.MustEscape) >= 0 || !System.Text.Unicode.Utf8.IsValid(action)) return false;
        Span<byte> buffer = stackalloc byte[Capacity];
        int p = PlainText.Put(buffer, 0, "{\"action\":\""u8);
        p = PlainText.Put(buffer, p, action);
        if (rawParams.IsEmpty)
        {
            p = PlainText.Put(buffer, p, "\""u8);
        }
        else
        {
            p = PlainText.Put(buffer, p, "\",\"params\":"u8);
            p = PlainText.Put(buffer, p, rawParams);
        }
        if (timeoutMs > 0)
        {
            p = PlainText.Put(buffer, p, ",\"timeout_ms\":"u8);
            System.Buffers.Text.Utf8Formatter.TryFormat(timeoutMs, buffer[p..], out int written);
            p += written;
        }
        buffer[p++] = (byte)'}';
        writer.WriteRawValue(buffer[..p], skipInputValidation: true);
        return true;
    }

    /// <summary>Writes a proxy payload: <c>{"action":"proxy","target":…,"command":{"action":…,"params":…}}</c>.</summary>
    public static void WriteProxy(Utf8JsonWriter writer, ReadOnlySpan<byte> target, ReadOnlySpan<byte> innerAction, ReadOnlySpan<byte> innerRawParams = default)
    {
        writer.WriteStartObject();
        writer.WriteString("action"u8, "proxy"u8);
        writer.WriteString("target"u8, target);
        writer.WritePropertyName("command"u8);
        Write(writer, innerAction, innerRawParams);
        writer.WriteEndObject();
    }

    /// <summary>Reads a command/query payload; <c>action</c> is required and must be a string.</summary>
    public static bool TryRead(Utf8JsonSlice payload, out CommandPayload value, out ProtocolError error)
    {
        // Two methods, so that the common case does not pay for setting up the reader path's frame.
        if (TryReadFast(payload, out value))
        {
            error = default;
            return true;
        }
        return TryReadWithReader(payload, out value, out error);
    }

    /// <summary>
    /// Reads the payload of a decoded command/query envelope; same result as <c>TryRead(envelope.Payload, …)</c>, but
    /// reuses the member positions the envelope reader found while validating, so the payload is not scanned again.
    /// </summary>
    public static bool TryRead(scoped in MeshEnvelope envelope, out CommandPayload value, out ProtocolError error)
    {
        if (envelope.CommandMembers.IsRecorded && TryReadRecorded(envelope.ContiguousInput, in envelope.CommandMembers, out value))
        {
            error = default;
            return true;
        }
        return TryRead(envelope.Payload, out value, out error);
    }

    // Builds the view from the envelope scanner's offsets; false for any case the scanner path leaves to the reader
    // (a wrongly typed member, an unusual timeout), so the result is exactly TryReadFast's.
    private static bool TryReadRecorded(ReadOnlySpan<byte> s, scoped in EnvelopeReader.CommandMembers m, out CommandPayload value)
    {
        value = default;
        if (m.ActionEnd == 0 || s[m.ActionStart] != (byte)'"') return false;
        if (m.TargetEnd != 0 && s[m.TargetStart] != (byte)'"') return false;
        if (m.CommandEnd != 0 && s[m.CommandStart] != (byte)'{') return false;
        long timeoutMs = 0;
        if (m.TimeoutEnd != 0)
        {
            ReadOnlySpan<byte> raw = s[m.TimeoutStart..m.TimeoutEnd];
            if (!raw.SequenceEqual("null"u8)
                && (raw[0] is not ((byte)'-' or (>= (byte)'0' and <= (byte)'9'))
                    || !System.Buffers.Text.Utf8Parser.TryParse(raw, out timeoutMs, out int consumed) || consumed != raw.Length || timeoutMs < 0)) return false;
        }
        value = new CommandPayload
        {
            Action = new Utf8JsonSlice(s[m.ActionStart..m.ActionEnd], JsonTokenType.String, m.ActionEscaped),
            Params = m.ParamsEnd == 0 ? default : new Utf8JsonSlice(s[m.ParamsStart..m.ParamsEnd], TokenTypeOf(s[m.ParamsStart]), m.ParamsEscaped),
            Target = m.TargetEnd == 0 ? default : new Utf8JsonSlice(s[m.TargetStart..m.TargetEnd], JsonTokenType.String, m.TargetEscaped),
            Command = m.CommandEnd == 0 ? default : new Utf8JsonSlice(s[m.CommandStart..m.CommandEnd], JsonTokenType.StartObject, false),
            TimeoutMs = timeoutMs,
        };
        return true;
    }

    private static JsonTokenType TokenTypeOf(byte first) => first switch
    {
        (byte)'"' => JsonTokenType.String,
        (byte)'{' => JsonTokenType.StartObject,
        (byte)'[' => JsonTokenType.StartArray,
        (byte)'t' => JsonTokenType.True,
        (byte)'f' => JsonTokenType.False,
        (byte)'n' => JsonTokenType.Null,
        _ => JsonTokenType.Number,
    };

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // cold: keep its frame out of TryRead
    private static bool TryReadWithReader(Utf8JsonSlice payload, out CommandPayload value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        Utf8JsonSlice action = default, parameters = default, target = default, command = default;
        long timeoutMs = 0;
        while (PayloadReading.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("action"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out action)) return PayloadReading.Invalid(ref reader, "payload.action", out error);
            }
            else if (reader.ValueTextEquals("params"u8))
            {
                reader.Read();
                parameters = payload.SliceCurrent(ref reader);
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out target)) return PayloadReading.Invalid(ref reader, "payload.target", out error);
            }
            else if (reader.ValueTextEquals("command"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) return PayloadReading.Invalid(ref reader, "payload.command", out error);
                command = payload.SliceCurrent(ref reader);
            }
            else if (reader.ValueTextEquals("timeout_ms"u8))
            {
                reader.Read();
                if (!PayloadReading.Int64(ref reader, out timeoutMs) || timeoutMs < 0) return PayloadReading.Invalid(ref reader, "payload.timeout_ms", out error);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (!action.IsPresent) return PayloadReading.Missing("payload.action", out error);
        value = new CommandPayload { Action = action, Params = parameters, Target = target, Command = command, TimeoutMs = timeoutMs };
        return true;
    }

    // The scanner path: succeeds exactly when the reader path would, else leaves the case (and its error) to it.
    private static bool TryReadFast(Utf8JsonSlice payload, out CommandPayload value)
    {
        value = default;
        if (!FastMembers.TryCreate(payload, out FastMembers members)) return false;
        Utf8JsonSlice action = default, parameters = default, target = default, command = default;
        long timeoutMs = 0;
        int next;
        while ((next = members.Next()) == 1)
        {
            ReadOnlySpan<byte> name = members.Name;
            if (name.SequenceEqual("action"u8))
            {
                if (members.ValueType != JsonTokenType.String) return false;
                action = members.Slice();
            }
            else if (name.SequenceEqual("params"u8))
            {
                parameters = members.Slice();
            }
            else if (name.SequenceEqual("target"u8))
            {
                if (members.ValueType != JsonTokenType.String) return false;
                target = members.Slice();
            }
            else if (name.SequenceEqual("command"u8))
            {
                if (members.ValueType != JsonTokenType.StartObject) return false;
                command = members.Slice();
            }
            else if (name.SequenceEqual("timeout_ms"u8))
            {
                if (members.ValueType == JsonTokenType.Null) timeoutMs = 0;
                else if (!members.TryGetInt64(out timeoutMs) || timeoutMs < 0) return false;
            }
        }
        if (next < 0 || !action.IsPresent) return false;
        value = new CommandPayload { Action = action, Params = parameters, Target = target, Command = command, TimeoutMs = timeoutMs };
        return true;
    }
}
