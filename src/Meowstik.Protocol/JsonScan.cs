using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Meowstik.Protocol;

/// <summary>
/// A minimal validating JSON scanner over contiguous UTF-8 for the codec's fast paths. Every method returns the
/// index after the scanned item, or -1 when the input is anything but plain valid JSON; the caller then falls back
/// to <see cref="System.Text.Json.Utf8JsonReader"/>, which reports the canonical error. It therefore never has to
/// describe an error, only to accept nothing that the reader would reject.
/// </summary>
internal static class JsonScan
{
    // Bytes that end a run of plain string content: the closing quote, an escape, or a control character.
    private static readonly SearchValues<byte> s_stringStops = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);

    /// <summary>Skips JSON white space (space, tab, LF, CR).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int SkipWhiteSpace(ReadOnlySpan<byte> s, int i)
    {
        // Compact JSON has no white space between tokens: answer that case without a call.
        if ((uint)i < (uint)s.Length && s[i] > (byte)' ') return i;
        return SkipWhiteSpaceSlow(s, i);
    }

    private static int SkipWhiteSpaceSlow(ReadOnlySpan<byte> s, int i)
    {
        while ((uint)i < (uint)s.Length)
        {
            byte b = s[i];
            if (b != (byte)' ' && b != (byte)'\n' && b != (byte)'\r' && b != (byte)'\t') break;
            i++;
        }
        return i;
    }

    /// <summary>Scans a string whose opening quote is at <paramref name="i"/>. Escapes are validated, surrogate escapes must pair.</summary>
    public static int String(ReadOnlySpan<byte> s, int i, out bool escaped)
    {
        escaped = false;
        int p = i + 1;
        while (true)
        {
            p = FindStringStop(s, p);
            if (p < 0) return -1;
            byte b = s[p];
            if (b == (byte)'"') return p + 1;
            if (b != (byte)'\\') return -1; // a raw control character
            escaped = true;
            if (p + 1 >= s.Length) return -1;
            byte e = s[p + 1];
            if (e != (byte)'u')
            {
                if (e is not ((byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')) return -1;
                p += 2;
                continue;
            }
            int unit = Hex4(s, p + 2);
            if (unit < 0) return -1;
            p += 6;
            if (unit is >= 0xDC00 and <= 0xDFFF) return -1; // a low surrogate without a high one
            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (p + 6 > s.Length || s[p] != (byte)'\\' || s[p + 1] != (byte)'u') return -1;
                int low = Hex4(s, p + 2);
                if (low is < 0xDC00 or > 0xDFFF) return -1;
                p += 6;
            }
        }
    }

    // The index of the next quote, backslash or control character at or after p, or -1.
    // Short strings (names, ids) are searched 16 bytes at a time; long ones (base64 data) with SearchValues' wider vectors.
    private static int FindStringStop(ReadOnlySpan<byte> s, int p)
    {
        if (Vector128.IsHardwareAccelerated)
        {
            ref byte start = ref MemoryMarshal.GetReference(s);
            Vector128<byte> quote = Vector128.Create((byte)'"');
            Vector128<byte> backslash = Vector128.Create((byte)'\\');
            Vector128<byte> space = Vector128.Create((byte)' ');
            int vectorEnd = Math.Min(s.Length - 16, p + 64);
            for (; p <= vectorEnd; p += 16)
            {
                Vector128<byte> block = Vector128.LoadUnsafe(ref start, (nuint)p);
                Vector128<byte> stops = Vector128.Equals(block, quote) | Vector128.Equals(block, backslash) | Vector128.LessThan(block, space);
                uint mask = stops.ExtractMostSignificantBits();
                if (mask != 0) return p + BitOperations.TrailingZeroCount(mask);
            }
            if (p + 16 <= s.Length)
            {
                int k = s[p..].IndexOfAny(s_stringStops);
                return k < 0 ? -1 : p + k;
            }
        }
        for (; p < s.Length; p++)
        {
            byte c = s[p];
            if (c == (byte)'"' || c == (byte)'\\' || c < 0x20) return p;
        }
        return -1;
    }

    /// <summary>Scans a number at <paramref name="i"/>: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>.</summary>
    public static int Number(ReadOnlySpan<byte> s, int i)
    {
        int p = i;
        if (p < s.Length && s[p] == (byte)'-') p++;
        if (p >= s.Length) return -1;
        if (s[p] == (byte)'0') p++;
        else if (IsDigit(s[p])) p = Digits(s, p);
        else return -1;
        if (p < s.Length && s[p] == (byte)'.')
        {
            p++;
            if (p >= s.Length || !IsDigit(s[p])) return -1;
            p = Digits(s, p);
        }
        if (p < s.Length && (s[p] | 0x20) == (byte)'e')
        {
            p++;
            if (p < s.Length && s[p] is (byte)'+' or (byte)'-') p++;
            if (p >= s.Length || !IsDigit(s[p])) return -1;
            p = Digits(s, p);
        }
        return p;
    }

    /// <summary>Scans any value at <paramref name="i"/>; containers it opens are at nesting <paramref name="level"/> (limit <paramref name="maxDepth"/>).</summary>
    public static int Value(ReadOnlySpan<byte> s, int i, int level, int maxDepth)
    {
        if ((uint)i >= (uint)s.Length) return -1;
        switch (s[i])
        {
            case (byte)'"': return String(s, i, out _);
            case (byte)'{': return Object(s, i, level, maxDepth);
            case (byte)'[': return Array(s, i, level, maxDepth);
            case (byte)'t': return s[i..].StartsWith("true"u8) ? i + 4 : -1;
            case (byte)'f': return s[i..].StartsWith("false"u8) ? i + 5 : -1;
            case (byte)'n': return s[i..].StartsWith("null"u8) ? i + 4 : -1;
            default: return Number(s, i);
        }
    }

    /// <summary>
    /// The deepest nesting the scanner handles itself. It recurses, so deeper input (possible when a deployment raises
    /// <see cref="ProtocolLimits.MaxDepth"/>) is left to the iterative Utf8JsonReader instead of risking the stack.
    /// </summary>
    public const int MaxRecursion = 64;

    /// <summary>Scans an object whose brace is at <paramref name="i"/> and which sits at nesting <paramref name="level"/>.</summary>
    public static int Object(ReadOnlySpan<byte> s, int i, int level, int maxDepth)
    {
        if (level > maxDepth || level > MaxRecursion) return -1;
        int p = SkipWhiteSpace(s, i + 1);
        if (p < s.Length && s[p] == (byte)'}') return p + 1;
        while (true)
        {
            if (p >= s.Length || s[p] != (byte)'"') return -1;
            p = String(s, p, out _);
            if (p < 0) return -1;
            p = SkipWhiteSpace(s, p);
            if (p >= s.Length || s[p] != (byte)':') return -1;
            p = Value(s, SkipWhiteSpace(s, p + 1), level + 1, maxDepth);
            if (p < 0) return -1;
            p = SkipWhiteSpace(s, p);
            if (p >= s.Length) return -1;
            if (s[p] == (byte)'}') return p + 1;
            if (s[p] != (byte)',') return -1;
            p = SkipWhiteSpace(s, p + 1);
        }
    }

    /// <summary>Scans an array whose bracket is at <paramref name="i"/> and which sits at nesting <paramref name="level"/>.</summary>
    public static int Array(ReadOnlySpan<byte> s, int i, int level, int maxDepth)
    {
        if (level > maxDepth || level > MaxRecursion) return -1;
        int p = SkipWhiteSpace(s, i + 1);
        if (p < s.Length && s[p] == (byte)']') return p + 1;
        while (true)
        {
            p = Value(s, p, level + 1, maxDepth);
            if (p < 0) return -1;
            p = SkipWhiteSpace(s, p);
            if (p >= s.Length) return -1;
            if (s[p] == (byte)']') return p + 1;
            if (s[p] != (byte)',') return -1;
            p = SkipWhiteSpace(s, p + 1);
        }
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static int Digits(ReadOnlySpan<byte> s, int p)
    {
        while (p < s.Length && IsDigit(s[p])) p++;
        return p;
    }

    private static int Hex4(ReadOnlySpan<byte> s, int p)
    {
        if (p + 4 > s.Length) return -1;
        int value = 0;
        for (int k = 0; k < 4; k++)
        {
            int b = s[p + k];
            int v = (uint)(b - '0') <= 9 ? b - '0' : (uint)((b | 0x20) - 'a') <= 5 ? (b | 0x20) - 'a' + 10 : -1;
            if (v < 0) return -1;
            value = (value << 4) | v;
        }
        return value;
    }
}
