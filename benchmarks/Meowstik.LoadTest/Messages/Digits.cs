using System.Buffers.Text;

namespace Meowstik.LoadTest.Messages;

/// <summary>Fixed-width decimal fields patched into pre-encoded messages (JSON strings, so leading zeros are allowed).</summary>
internal static class Digits
{
    /// <summary>Wide enough for any <see cref="System.Diagnostics.Stopwatch"/> timestamp and any sequence number.</summary>
    public const int Width = 19;

    public static void Write(long value, Span<byte> field)
    {
        field.Fill((byte)'0');
        Span<byte> scratch = stackalloc byte[Width];
        Utf8Formatter.TryFormat(value, scratch, out int written);
        scratch[..written].CopyTo(field[(field.Length - written)..]);
    }

    public static long Read(ReadOnlySpan<byte> field) => Utf8Parser.TryParse(field, out long value, out _) ? value : -1;

    /// <summary>The <see cref="Width"/> digits of the string value after <paramref name="key"/> (e.g. <c>"t":"</c>), or -1.</summary>
    public static long ReadAfter(ReadOnlySpan<byte> message, ReadOnlySpan<byte> key)
    {
        int at = message.IndexOf(key);
        if (at < 0 || at + key.Length + Width > message.Length) return -1;
        return Read(message.Slice(at + key.Length, Width));
    }
}
