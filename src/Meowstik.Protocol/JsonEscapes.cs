using System.Buffers;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// Checks the <c>\u</c> escapes of JSON strings. <see cref="Utf8JsonReader"/> accepts a lone surrogate escape such as
/// <c>"\ud83d"</c> but throws when the text is later unescaped, so the codec rejects such strings up front
/// (as <see cref="ProtocolErrorCode.InvalidUtf8"/>: they cannot be represented in UTF-8).
/// </summary>
internal static class JsonEscapes
{
    /// <summary>True when the current string or property name has no unpaired surrogate escape.</summary>
    public static bool HasValidSurrogates(scoped ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return true;
        if (!reader.HasValueSequence) return HasValidSurrogates(reader.ValueSpan);
        ReadOnlySequence<byte> value = reader.ValueSequence;
        byte[] scratch = ArrayPool<byte>.Shared.Rent((int)value.Length);
        try
        {
            value.CopyTo(scratch);
            return HasValidSurrogates(scratch.AsSpan(0, (int)value.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>True when every high-surrogate escape in <paramref name="raw"/> (string content, still escaped) is followed by a low one and vice versa.</summary>
    public static bool HasValidSurrogates(ReadOnlySpan<byte> raw)
    {
        bool pendingHigh = false;
        int i = 0;
        while (true)
        {
            int next = raw[i..].IndexOf((byte)'\\');
            if (next < 0) return !pendingHigh;
            if (pendingHigh && next != 0) return false; // a high surrogate followed by plain text
            i += next;
            // The reader has already checked the escape syntax, so the bytes after the backslash exist.
            if (raw[i + 1] != (byte)'u')
            {
                if (pendingHigh) return false;
                i += 2;
                continue;
            }
            int unit = Hex(raw.Slice(i + 2, 4));
            i += 6;
            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (pendingHigh) return false;
                pendingHigh = true;
            }
            else if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                if (!pendingHigh) return false;
                pendingHigh = false;
            }
            else if (pendingHigh)
            {
                return false;
            }
        }
    }

    private static int Hex(ReadOnlySpan<byte> digits)
    {
        int value = 0;
        foreach (byte d in digits)
        {
            int v = d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10;
            value = (value << 4) | v;
        }
        return value;
    }
}
