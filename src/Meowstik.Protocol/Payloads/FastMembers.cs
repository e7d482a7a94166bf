using System.Buffers.Text;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// Walks the top-level members of a contiguous payload object with <see cref="JsonScan"/> (the typed readers' fast
/// path). <see cref="Next"/> returns -1 for anything it does not handle (an escaped member name, a scan failure);
/// the reader then starts over on its Utf8JsonReader path, which is the reference behaviour.
/// </summary>
internal ref struct FastMembers
{
    private readonly ReadOnlySpan<byte> _object;
    private int _position;

    public FastMembers(ReadOnlySpan<byte> payloadObject)
    {
        _object = payloadObject;
        _position = JsonScan.SkipWhiteSpace(payloadObject, 1);
    }

    /// <summary>The current member's name (unescaped: escaped names make <see cref="Next"/> return -1).</summary>
    public ReadOnlySpan<byte> Name { get; private set; }

    /// <summary>The current member's raw value.</summary>
    public ReadOnlySpan<byte> Value { get; private set; }

    /// <summary>The JSON kind of <see cref="Value"/>.</summary>
    public JsonTokenType ValueType { get; private set; }

    private bool ValueEscaped { get; set; }

    /// <summary>Opens the payload when it is a contiguous object.</summary>
    public static bool TryCreate(Utf8JsonSlice payload, out FastMembers members)
    {
        members = default;
        if (payload.TokenType != JsonTokenType.StartObject || !payload.TryGetContiguous(out ReadOnlySpan<byte> raw)) return false;
        members = new FastMembers(raw);
        return true;
    }

    /// <summary>1: on the next member; 0: at the end of the object; -1: give up (use the reader path).</summary>
    public int Next()
    {
        ReadOnlySpan<byte> s = _object;
        int p = _position;
        if (p >= s.Length) return -1;
        if (s[p] == (byte)'}') return 0;
        if (s[p] == (byte)',') p = JsonScan.SkipWhiteSpace(s, p + 1);
        if (p >= s.Length || s[p] != (byte)'"') return -1;
        int nameEnd = JsonScan.String(s, p, out bool escapedName);
        if (nameEnd < 0 || escapedName) return -1;
        Name = s[(p + 1)..(nameEnd - 1)];
        p = JsonScan.SkipWhiteSpace(s, nameEnd);
        if (p >= s.Length || s[p] != (byte)':') return -1;
        p = JsonScan.SkipWhiteSpace(s, p + 1);
        if (p >= s.Length) return -1;
        bool escaped = false;
        int end = s[p] == (byte)'"' ? JsonScan.String(s, p, out escaped) : JsonScan.Value(s, p, 0, int.MaxValue);
        if (end < 0) return -1;
        Value = s[p..end];
        ValueEscaped = escaped;
        ValueType = s[p] switch
        {
            (byte)'"' => JsonTokenType.String,
            (byte)'{' => JsonTokenType.StartObject,
            (byte)'[' => JsonTokenType.StartArray,
            (byte)'t' => JsonTokenType.True,
            (byte)'f' => JsonTokenType.False,
            (byte)'n' => JsonTokenType.Null,
            _ => JsonTokenType.Number,
        };
        _position = JsonScan.SkipWhiteSpace(s, end);
        return 1;
    }

    /// <summary>The current value as a slice of the payload.</summary>
    public readonly Utf8JsonSlice Slice() => new(Value, ValueType, ValueEscaped);

    /// <summary>The current value as an integer, exactly as <see cref="Utf8JsonReader.TryGetInt64"/> reads it.</summary>
    public readonly bool TryGetInt64(out long value)
    {
        value = 0;
        return ValueType == JsonTokenType.Number && Utf8Parser.TryParse(Value, out value, out int consumed) && consumed == Value.Length;
    }

    /// <summary>The current value as a finite double, exactly as <see cref="Utf8JsonReader.TryGetDouble"/> reads it.</summary>
    public readonly bool TryGetDouble(out double value)
    {
        value = 0;
        if (ValueType != JsonTokenType.Number) return false;
        // Plain non-negative integers (heartbeat figures) parse far faster as integers; below 2^53 the conversion is exact.
        if (Value[0] != (byte)'-' && Utf8Parser.TryParse(Value, out long integer, out int used) && used == Value.Length && integer < (1L << 53))
        {
            value = integer;
            return true;
        }
        char format = Value.IndexOfAny((byte)'e', (byte)'E') >= 0 ? 'e' : default;
        return Utf8Parser.TryParse(Value, out value, out int consumed, format) && consumed == Value.Length && double.IsFinite(value);
    }
}
