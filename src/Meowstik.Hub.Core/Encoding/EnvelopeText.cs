using System.Text;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>Small allocation-free helpers to read header values and top-level payload strings into caller buffers.</summary>
internal static class EnvelopeText
{
    /// <summary>Largest unescaped id the hub handles (ids are limited to 128 escaped bytes by the codec).</summary>
    public const int MaxIdBytes = 256;

    /// <summary>Copies a string value, unescaped, into <paramref name="buffer"/>; empty when absent or too long.</summary>
    public static ReadOnlySpan<byte> Copy(Utf8JsonSlice value, Span<byte> buffer)
    {
        if (!value.IsString) return default;
        if (value.TryGetUnescapedSpan(out ReadOnlySpan<byte> direct) && direct.Length <= buffer.Length)
        {
            direct.CopyTo(buffer);
            return buffer[..direct.Length];
        }
        return value.TryCopyString(buffer, out int written) ? buffer[..written] : default;
    }

    /// <summary>Reads a device id (validated ASCII) into <paramref name="chars"/>; empty when absent or invalid.</summary>
    public static ReadOnlySpan<char> DeviceId(Utf8JsonSlice value, Span<char> chars)
    {
        Span<byte> utf8 = stackalloc byte[Protocol.DeviceId.MaxLength];
        ReadOnlySpan<byte> id = Copy(value, utf8);
        if (id.IsEmpty || Ascii.ToUtf16(id, chars, out int written) != System.Buffers.OperationStatus.Done) return default;
        return chars[..written];
    }

    /// <summary>Finds a top-level string property of a payload object and copies it (unescaped) into <paramref name="buffer"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> PayloadString(Utf8JsonSlice payload, ReadOnlySpan<byte> name, Span<byte> buffer)
    {
        if (payload.TokenType != JsonTokenType.StartObject) return default;
        Utf8JsonReader reader = payload.CreateReader();
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool match = reader.ValueTextEquals(name);
            reader.Read();
            if (match)
            {
                if (reader.TokenType != JsonTokenType.String) return default;
                int length = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                if (length > buffer.Length) return default;
                int written = reader.CopyString(buffer);
                return buffer[..written];
            }
            reader.Skip();
        }
        return default;
    }

    /// <summary>Finds a top-level integer property of a payload object.</summary>
    public static bool PayloadInt64(Utf8JsonSlice payload, ReadOnlySpan<byte> name, out long value)
    {
        value = 0;
        if (payload.TokenType != JsonTokenType.StartObject) return false;
        Utf8JsonReader reader = payload.CreateReader();
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool match = reader.ValueTextEquals(name);
            reader.Read();
            if (match) return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value);
            reader.Skip();
        }
        return false;
    }

    /// <summary>Widens a UTF-8 name into <paramref name="chars"/> (for span-keyed lookups); empty when it does not fit or is invalid.</summary>
    public static ReadOnlySpan<char> ToChars(ReadOnlySpan<byte> utf8, Span<char> chars) =>
        Encoding.UTF8.TryGetChars(utf8, chars, out int written) ? chars[..written] : default;
}
