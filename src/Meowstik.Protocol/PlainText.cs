using System.Buffers;

namespace Meowstik.Protocol;

/// <summary>Helpers for writing JSON text directly: what must be escaped, and copying fragments.</summary>
internal static class PlainText
{
    /// <summary>The bytes JSON requires to be escaped inside a string: quote, backslash and control characters.</summary>
    public static readonly SearchValues<byte> MustEscape = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);

    /// <summary>Copies <paramref name="bytes"/> to <paramref name="span"/> at <paramref name="p"/>; returns the position after them.</summary>
    public static int Put(Span<byte> span, int p, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[p..]);
        return p + bytes.Length;
    }
}
