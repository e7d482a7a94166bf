using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// One raw JSON value (a string token with its quotes, a number, an object…) sliced from the input without copying.
/// Backed by a span or by a segment of a <see cref="ReadOnlySequence{T}"/>; valid only while the input is.
/// </summary>
public readonly ref struct Utf8JsonSlice
{
    // Slices come from messages the envelope reader validated against ProtocolLimits.MaxDepth, which a deployment may
    // raise: a second, fixed limit here would make Skip() throw on input that was accepted.
    private static readonly JsonReaderOptions s_valueOptions = new() { MaxDepth = int.MaxValue };

    private readonly ReadOnlySpan<byte> _span;
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly bool _isSequence;
    private readonly bool _escaped;

    internal Utf8JsonSlice(ReadOnlySpan<byte> raw, JsonTokenType tokenType, bool escaped)
    {
        _span = raw;
        _sequence = default;
        _isSequence = false;
        TokenType = tokenType;
        _escaped = escaped;
    }

    internal Utf8JsonSlice(ReadOnlySequence<byte> raw, JsonTokenType tokenType, bool escaped)
    {
        if (raw.IsSingleSegment)
        {
            _span = raw.FirstSpan;
            _sequence = default;
            _isSequence = false;
        }
        else
        {
            _span = default;
            _sequence = raw;
            _isSequence = true;
        }
        TokenType = tokenType;
        _escaped = escaped;
    }

    /// <summary>True when the field was present in the message.</summary>
    public bool IsPresent => TokenType != JsonTokenType.None;

    /// <summary>The JSON token type of the value (<see cref="JsonTokenType.StartObject"/> for objects, <see cref="JsonTokenType.None"/> when absent).</summary>
    public JsonTokenType TokenType { get; }

    /// <summary>True when the value is a JSON string.</summary>
    public bool IsString => TokenType == JsonTokenType.String;

    /// <summary>True when the value is a JSON string containing escape sequences.</summary>
    public bool IsEscaped => _escaped;

    /// <summary>Length of the raw value in bytes (including quotes for strings).</summary>
    public long Length => _isSequence ? _sequence.Length : _span.Length;

    /// <summary>Length of a string's raw content in bytes (without the quotes); an upper bound of its unescaped length.</summary>
    public int RawStringLength => IsString ? (int)Length - 2 : 0;

    /// <summary>Returns the raw bytes when they are contiguous in memory.</summary>
    public bool TryGetContiguous(out ReadOnlySpan<byte> raw)
    {
        raw = _span;
        return !_isSequence;
    }

    /// <summary>Returns the raw bytes as a sequence when they span several segments.</summary>
    internal bool TryGetSequence(out ReadOnlySequence<byte> raw)
    {
        raw = _sequence;
        return _isSequence;
    }

    /// <summary>
    /// For an object, finds the top-level property <paramref name="utf8Name"/> (compared after unescaping) and slices its value.
    /// False when this is not an object or the property is absent. Does not allocate.
    /// </summary>
    public bool TryGetProperty(ReadOnlySpan<byte> utf8Name, out Utf8JsonSlice value)
    {
        value = default;
        if (TokenType != JsonTokenType.StartObject) return false;
        Utf8JsonReader reader = CreateReader();
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool match = reader.ValueTextEquals(utf8Name);
            reader.Read();
            if (match)
            {
                value = SliceCurrent(ref reader);
                return true;
            }
            reader.Skip();
        }
        return false;
    }

    /// <summary>For a string that needs no unescaping and is contiguous, returns its UTF-8 content without copying.</summary>
    public bool TryGetUnescapedSpan(out ReadOnlySpan<byte> utf8)
    {
        if (IsString && !_escaped && !_isSequence)
        {
            utf8 = _span[1..^1];
            return true;
        }
        utf8 = default;
        return false;
    }

    /// <summary>Compares a string value with <paramref name="utf8"/> after unescaping; false when absent or not a string.</summary>
    public bool ValueEquals(ReadOnlySpan<byte> utf8)
    {
        if (TryGetUnescapedSpan(out ReadOnlySpan<byte> content)) return content.SequenceEqual(utf8);
        if (!IsString) return false;
        Utf8JsonReader reader = CreateReader();
        reader.Read();
        return reader.ValueTextEquals(utf8);
    }

    /// <summary>Compares a string value with <paramref name="text"/> after unescaping; false when absent or not a string.</summary>
    public bool ValueEquals(ReadOnlySpan<char> text)
    {
        if (!IsString) return false;
        Utf8JsonReader reader = CreateReader();
        reader.Read();
        return reader.ValueTextEquals(text);
    }

    /// <summary>Copies a string value, unescaped, into <paramref name="destination"/>. False when absent, not a string, or too small.</summary>
    public bool TryCopyString(Span<byte> destination, out int written)
    {
        written = 0;
        if (!IsString) return false;
        if (TryGetUnescapedSpan(out ReadOnlySpan<byte> content))
        {
            if (!content.TryCopyTo(destination)) return false;
            written = content.Length;
            return true;
        }
        Utf8JsonReader reader = CreateReader();
        reader.Read();
        if (destination.Length >= RawStringLength)
        {
            written = reader.CopyString(destination);
            return true;
        }
        // Unescaped text may still fit although the raw form does not: unescape into a scratch buffer first.
        byte[] scratch = ArrayPool<byte>.Shared.Rent(RawStringLength);
        try
        {
            int length = reader.CopyString(scratch);
            if (length > destination.Length) return false;
            scratch.AsSpan(0, length).CopyTo(destination);
            written = length;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Copies a string value, unescaped, into <paramref name="destination"/> as UTF-16. False when absent, not a string, or too small.</summary>
    public bool TryCopyString(Span<char> destination, out int written)
    {
        written = 0;
        if (!IsString) return false;
        if (TryGetUnescapedSpan(out ReadOnlySpan<byte> content))
        {
            return Encoding.UTF8.TryGetChars(content, destination, out written);
        }
        Utf8JsonReader reader = CreateReader();
        reader.Read();
        if (destination.Length >= RawStringLength)
        {
            written = reader.CopyString(destination);
            return true;
        }
        // The unescaped text may still fit: unescape into pooled UTF-8 first, then transcode.
        byte[] scratch = ArrayPool<byte>.Shared.Rent(RawStringLength);
        try
        {
            int length = reader.CopyString(scratch);
            return Encoding.UTF8.TryGetChars(scratch.AsSpan(0, length), destination, out written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Returns a string value unescaped, or the raw JSON text of any other value; null when absent. Allocates.</summary>
    public string? GetString()
    {
        if (!IsPresent) return null;
        if (IsString)
        {
            Utf8JsonReader reader = CreateReader();
            reader.Read();
            return reader.GetString();
        }
        return GetRawText();
    }

    /// <summary>Returns the raw JSON text of the value; null when absent. Allocates.</summary>
    public string? GetRawText()
    {
        if (!IsPresent) return null;
        return _isSequence ? Encoding.UTF8.GetString(_sequence) : Encoding.UTF8.GetString(_span);
    }

    /// <summary>Returns a copy of the raw JSON bytes. Allocates.</summary>
    public byte[] ToArray() => _isSequence ? _sequence.ToArray() : _span.ToArray();

    /// <summary>Copies the raw JSON bytes into <paramref name="destination"/>.</summary>
    public bool TryCopyRawTo(Span<byte> destination)
    {
        if (destination.Length < Length) return false;
        if (_isSequence) _sequence.CopyTo(destination);
        else _span.CopyTo(destination);
        return true;
    }

    /// <summary>Writes the raw JSON bytes as a value of <paramref name="writer"/> (already validated by the reader).</summary>
    public void WriteRawValueTo(Utf8JsonWriter writer)
    {
        if (_isSequence) writer.WriteRawValue(_sequence, skipInputValidation: true);
        else writer.WriteRawValue(_span, skipInputValidation: true);
    }

    /// <summary>Reads a JSON number as a 64-bit integer.</summary>
    public bool TryGetInt64(out long value)
    {
        value = 0;
        if (TokenType != JsonTokenType.Number) return false;
        Utf8JsonReader reader = CreateReader();
        reader.Read();
        return reader.TryGetInt64(out value);
    }

    /// <summary>Reads a JSON number as a double.</summary>
    public bool TryGetDouble(out double value)
    {
        value = 0;
        if (TokenType != JsonTokenType.Number) return false;
        Utf8JsonReader reader = CreateReader();
        reader.Read();
        return reader.TryGetDouble(out value);
    }

    /// <summary>Creates a reader positioned before this value (call <see cref="Utf8JsonReader.Read"/> first).</summary>
    public Utf8JsonReader CreateReader() =>
        _isSequence ? new Utf8JsonReader(_sequence, s_valueOptions) : new Utf8JsonReader(_span, s_valueOptions);

    /// <summary>Slices the value the reader (created by <see cref="CreateReader"/>) is on; skips containers.</summary>
    internal Utf8JsonSlice SliceCurrent(scoped ref Utf8JsonReader reader)
    {
        JsonTokenType type = reader.TokenType;
        long start = reader.TokenStartIndex;
        bool escaped = type == JsonTokenType.String && reader.ValueIsEscaped;
        if (type is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
        long length = reader.BytesConsumed - start;
        return _isSequence
            ? new Utf8JsonSlice(_sequence.Slice(start, length), type, escaped)
            : new Utf8JsonSlice(_span.Slice((int)start, (int)length), type, escaped);
    }
}
