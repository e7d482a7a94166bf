using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Meowstik.Protocol;

/// <summary>UTF-8 validation over contiguous and segmented input, returning the offset of the first invalid byte.</summary>
internal static class Utf8Validation
{
    /// <summary>Returns -1 when valid, else the offset of the first invalid sequence.</summary>
    public static long FindInvalid(ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8)) return -1;
        int offset = 0;
        while (offset < utf8.Length)
        {
            if (Rune.DecodeFromUtf8(utf8[offset..], out _, out int consumed) != OperationStatus.Done) return offset;
            offset += consumed;
        }
        return -1;
    }

    /// <summary>Returns -1 when valid, else the offset of the first invalid sequence (the same offset the span overload gives).</summary>
    public static long FindInvalid(in ReadOnlySequence<byte> utf8)
    {
        if (utf8.IsSingleSegment) return FindInvalid(utf8.FirstSpan);

        Span<byte> pending = stackalloc byte[4];
        int pendingLength = 0;
        long pendingStart = 0;
        long segmentStart = 0;
        foreach (ReadOnlyMemory<byte> memory in utf8)
        {
            ReadOnlySpan<byte> span = memory.Span;
            // Finish a code point split across the previous segment boundary, one byte at a time.
            while (pendingLength > 0 && !span.IsEmpty)
            {
                pending[pendingLength++] = span[0];
                span = span[1..];
                OperationStatus status = Rune.DecodeFromUtf8(pending[..pendingLength], out _, out _);
                if (status == OperationStatus.Done) pendingLength = 0;
                else if (status != OperationStatus.NeedMoreData || pendingLength == 4) return pendingStart;
            }

            int tail = IncompleteTailLength(span);
            long invalid = FindInvalid(span[..^tail]);
            if (invalid >= 0) return segmentStart + (memory.Length - span.Length) + invalid;
            if (tail > 0)
            {
                span[^tail..].CopyTo(pending);
                pendingLength = tail;
                pendingStart = segmentStart + memory.Length - tail;
            }
            segmentStart += memory.Length;
        }
        return pendingLength > 0 ? pendingStart : -1;
    }

    // Bytes at the end of the span that begin a multi-byte sequence the span does not complete.
    private static int IncompleteTailLength(ReadOnlySpan<byte> span)
    {
        for (int back = 1; back <= 3 && back <= span.Length; back++)
        {
            byte b = span[^back];
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? back : 0;
        }
        return 0;
    }
}
