using System.Buffers.Binary;

namespace Meowstik.Agent.Openpilot;

/// <summary>
/// A read-only view of one unpacked Cap'n Proto message (the standard stream framing: segment table, then segments),
/// for reading openpilot's cereal <c>Event</c>s without allocating. It reads struct, list and far pointers (single and
/// double-far landing pads) and text; every pointer is bounds-checked against its segment before anything behind it is
/// read, and pointer chains are limited to <see cref="MaxDepth"/> hops, so a corrupt or hostile message gives a
/// <see cref="CapnpError"/>, never an exception or a read outside the buffer. Values are little-endian; a field beyond a
/// struct's data section reads as its default (schema evolution), as Cap'n Proto requires.
/// </summary>
/// <remarks>
/// Each read is O(1) apart from the segment lookup (O(segments), at most <see cref="MaxSegments"/>), and a caller follows
/// a fixed path of pointers, so no message can amplify the work (Cap'n Proto's "traversal limit" problem does not arise).
/// </remarks>
public readonly ref struct CapnpMessage
{
    /// <summary>The most segments a message may have.</summary>
    public const int MaxSegments = 512;

    /// <summary>The longest chain of pointers followed from the root.</summary>
    public const int MaxDepth = 64;

    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _segmentCount;
    private readonly int _firstSegment;

    private CapnpMessage(ReadOnlySpan<byte> buffer, int segmentCount, int firstSegment)
    {
        _buffer = buffer;
        _segmentCount = segmentCount;
        _firstSegment = firstSegment;
    }

    /// <summary>The number of segments.</summary>
    public int SegmentCount => _segmentCount;

    /// <summary>Reads the segment table of <paramref name="buffer"/> (which is not copied: keep it alive while reading).</summary>
    /// <param name="buffer">One framed, unpacked message.</param>
    /// <param name="message">The message, when the result is <see cref="CapnpError.None"/>.</param>
    /// <returns><see cref="CapnpError.None"/>, or why the framing is invalid.</returns>
    public static CapnpError TryRead(ReadOnlySpan<byte> buffer, out CapnpMessage message)
    {
        message = default;
        if (buffer.Length < 8)
        {
            return CapnpError.Truncated;
        }

        uint countMinusOne = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
        if (countMinusOne >= MaxSegments)
        {
            return CapnpError.BadSegmentTable;
        }

        int count = (int)countMinusOne + 1;
        int tableBytes = (4 + (4 * count) + 7) & ~7;
        if (buffer.Length < tableBytes)
        {
            return CapnpError.Truncated;
        }

        long total = tableBytes;
        for (int i = 0; i < count; i++)
        {
            total += (long)BinaryPrimitives.ReadUInt32LittleEndian(buffer[(4 + (4 * i))..]) * 8;
        }

        if (total > buffer.Length)
        {
            return CapnpError.Truncated;
        }

        message = new CapnpMessage(buffer, count, tableBytes);
        return CapnpError.None;
    }

    /// <summary>Reads the root struct (the pointer at the start of segment 0).</summary>
    /// <param name="root">The root; a null root pointer gives an empty struct whose fields all read as defaults.</param>
    /// <returns><see cref="CapnpError.None"/>, or why the root pointer is invalid.</returns>
    public CapnpError TryGetRoot(out CapnpStruct root)
    {
        root = default;
        if (!TryGetSegment(0, out int start, out int end) || end - start < 8)
        {
            return CapnpError.OutOfBounds;
        }

        return TryFollowStruct(start, start, end, 0, out root);
    }

    internal ReadOnlySpan<byte> Buffer => _buffer;

    internal bool TryGetSegment(uint id, out int start, out int end)
    {
        start = end = 0;
        if (id >= (uint)_segmentCount)
        {
            return false;
        }

        long offset = _firstSegment;
        for (int i = 0; i < id; i++)
        {
            offset += (long)BinaryPrimitives.ReadUInt32LittleEndian(_buffer[(4 + (4 * i))..]) * 8;
        }

        start = (int)offset;
        end = (int)(offset + ((long)BinaryPrimitives.ReadUInt32LittleEndian(_buffer[(4 + (4 * (int)id))..]) * 8));
        return true;
    }

    /// <summary>Follows the struct pointer at <paramref name="pointer"/> (inside the segment [start, end)).</summary>
    internal CapnpError TryFollowStruct(int pointer, int segStart, int segEnd, int depth, out CapnpStruct result)
    {
        result = default;
        CapnpError error = Resolve(pointer, segStart, segEnd, depth, out ulong tag, out long content, out int contentStart, out int contentEnd);
        if (error != CapnpError.None)
        {
            return error;
        }

        if (tag == 0)
        {
            result = new CapnpStruct(this, 0, 0, 0, 0, 0, 0, depth + 1);
            return CapnpError.None;
        }

        if ((tag & 3) != 0)
        {
            return CapnpError.UnexpectedPointer;
        }

        int dataWords = (ushort)(tag >> 32);
        int pointerCount = (ushort)(tag >> 48);
        long size = ((long)dataWords + pointerCount) * 8;
        if (content < contentStart || content + size > contentEnd)
        {
            return CapnpError.OutOfBounds;
        }

        int data = (int)content;
        result = new CapnpStruct(this, data, dataWords * 8, data + (dataWords * 8), pointerCount, contentStart, contentEnd, depth + 1);
        return CapnpError.None;
    }

    /// <summary>Follows the text pointer at <paramref name="pointer"/>: a byte list ending in NUL (null pointer: empty).</summary>
    internal CapnpError TryFollowText(int pointer, int segStart, int segEnd, int depth, out ReadOnlySpan<byte> text)
    {
        text = default;
        CapnpError error = Resolve(pointer, segStart, segEnd, depth, out ulong tag, out long content, out int contentStart, out int contentEnd);
        if (error != CapnpError.None || tag == 0)
        {
            return error;
        }

        if ((tag & 3) != 1 || ((tag >> 32) & 7) != 2)
        {
            return CapnpError.UnexpectedPointer;
        }

        long count = (long)(tag >> 35);
        if (content < contentStart || content + count > contentEnd)
        {
            return CapnpError.OutOfBounds;
        }

        if (count == 0)
        {
            return CapnpError.None;
        }

        ReadOnlySpan<byte> bytes = _buffer.Slice((int)content, (int)count);
        if (bytes[^1] != 0)
        {
            return CapnpError.BadText;
        }

        text = bytes[..^1];
        return CapnpError.None;
    }

    /// <summary>
    /// Resolves a struct or list pointer, through a far pointer if it is one: the pointer word that describes the target
    /// (<paramref name="tag"/>, 0 for a null pointer), the target's first byte and the bounds of the segment it must lie in.
    /// </summary>
    private CapnpError Resolve(int pointer, int segStart, int segEnd, int depth, out ulong tag, out long content, out int contentStart, out int contentEnd)
    {
        tag = 0;
        content = 0;
        contentStart = segStart;
        contentEnd = segEnd;
        if (depth >= MaxDepth)
        {
            return CapnpError.NestingLimit;
        }

        if (pointer < segStart || pointer + 8 > segEnd)
        {
            return CapnpError.OutOfBounds;
        }

        ulong word = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[pointer..]);
        if (word == 0)
        {
            return CapnpError.None;
        }

        switch (word & 3)
        {
            case 0:
            case 1:
                tag = word;
                content = pointer + 8 + ((long)((int)(uint)word >> 2) * 8);
                return CapnpError.None;
            case 2:
                break;
            default:
                return CapnpError.UnexpectedPointer;
        }

        // Far pointer: bit 2 = double landing pad, bits 3..31 = the pad's word offset, bits 32..63 = its segment.
        bool isDouble = (word & 4) != 0;
        if (!TryGetSegment((uint)(word >> 32), out int padSegStart, out int padSegEnd))
        {
            return CapnpError.OutOfBounds;
        }

        long pad = padSegStart + ((long)((word >> 3) & 0x1FFF_FFFF) * 8);
        if (pad + (isDouble ? 16 : 8) > padSegEnd)
        {
            return CapnpError.OutOfBounds;
        }

        ulong first = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[(int)pad..]);
        if (!isDouble)
        {
            // Single: the pad is an ordinary struct/list pointer, relative to itself, in the pad's segment.
            if ((first & 3) is 2 or 3)
            {
                return CapnpError.BadFarPointer;
            }

            tag = first;
            content = first == 0 ? 0 : pad + 8 + ((long)((int)(uint)first >> 2) * 8);
            contentStart = padSegStart;
            contentEnd = padSegEnd;
            return CapnpError.None;
        }

        // Double: the pad's first word is a single far pointer to the content's start; the second word is its tag.
        ulong second = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[(int)(pad + 8)..]);
        if ((first & 7) != 2 || (second & 3) is 2 or 3 || second == 0)
        {
            return CapnpError.BadFarPointer;
        }

        if (!TryGetSegment((uint)(first >> 32), out int targetStart, out int targetEnd))
        {
            return CapnpError.OutOfBounds;
        }

        tag = second;
        content = targetStart + ((long)((first >> 3) & 0x1FFF_FFFF) * 8);
        contentStart = targetStart;
        contentEnd = targetEnd;
        return CapnpError.None;
    }
}
