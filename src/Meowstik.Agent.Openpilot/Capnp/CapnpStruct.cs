using System.Buffers.Binary;

namespace Meowstik.Agent.Openpilot;

/// <summary>
/// A struct inside a <see cref="CapnpMessage"/>: a data section read by position (N in units of the field's size, Bools by
/// bit index), and pointers by index. Reads beyond the data section or the pointer section return the default, as for a
/// struct written by an older schema. A null struct (from a null pointer) reads as all defaults.
/// </summary>
public readonly ref struct CapnpStruct
{
    private readonly CapnpMessage _message;
    private readonly int _data;
    private readonly int _dataBytes;
    private readonly int _pointers;
    private readonly int _pointerCount;
    private readonly int _segStart;
    private readonly int _segEnd;
    private readonly int _depth;

    internal CapnpStruct(CapnpMessage message, int data, int dataBytes, int pointers, int pointerCount, int segStart, int segEnd, int depth)
    {
        _message = message;
        _data = data;
        _dataBytes = dataBytes;
        _pointers = pointers;
        _pointerCount = pointerCount;
        _segStart = segStart;
        _segEnd = segEnd;
        _depth = depth;
    }

    /// <summary>The data section's size in bytes.</summary>
    public int DataBytes => _dataBytes;

    /// <summary>The number of pointers.</summary>
    public int PointerCount => _pointerCount;

    /// <summary>Reads a bit of the data section, XOR <paramref name="defaultValue"/>.</summary>
    /// <param name="bit">The bit index.</param>
    /// <param name="defaultValue">The schema's default.</param>
    /// <returns>The value.</returns>
    public bool ReadBool(int bit, bool defaultValue = false)
    {
        if (bit < 0 || (bit >> 3) >= _dataBytes)
        {
            return defaultValue;
        }

        return (((_message.Buffer[_data + (bit >> 3)] >> (bit & 7)) & 1) != 0) ^ defaultValue;
    }

    /// <summary>Reads the <paramref name="index"/>th byte of the data section.</summary>
    /// <param name="index">The position in bytes.</param>
    /// <returns>The value, or 0 beyond the data section.</returns>
    public byte ReadByte(int index) => Slice(index, 1, out ReadOnlySpan<byte> s) ? s[0] : (byte)0;

    /// <summary>Reads the <paramref name="index"/>th UInt16 of the data section.</summary>
    /// <param name="index">The position in units of 2 bytes.</param>
    /// <returns>The value, or 0 beyond the data section.</returns>
    public ushort ReadUInt16(int index) => Slice(index, 2, out ReadOnlySpan<byte> s) ? BinaryPrimitives.ReadUInt16LittleEndian(s) : (ushort)0;

    /// <summary>Reads the <paramref name="index"/>th UInt32 of the data section.</summary>
    /// <param name="index">The position in units of 4 bytes.</param>
    /// <returns>The value, or 0 beyond the data section.</returns>
    public uint ReadUInt32(int index) => Slice(index, 4, out ReadOnlySpan<byte> s) ? BinaryPrimitives.ReadUInt32LittleEndian(s) : 0;

    /// <summary>Reads the <paramref name="index"/>th UInt64 of the data section.</summary>
    /// <param name="index">The position in units of 8 bytes.</param>
    /// <returns>The value, or 0 beyond the data section.</returns>
    public ulong ReadUInt64(int index) => Slice(index, 8, out ReadOnlySpan<byte> s) ? BinaryPrimitives.ReadUInt64LittleEndian(s) : 0;

    /// <summary>Reads the <paramref name="index"/>th Float32 of the data section (default 0).</summary>
    /// <param name="index">The position in units of 4 bytes.</param>
    /// <returns>The value.</returns>
    public float ReadSingle(int index) => BitConverter.UInt32BitsToSingle(ReadUInt32(index));

    /// <summary>Reads the <paramref name="index"/>th Float64 of the data section (default 0).</summary>
    /// <param name="index">The position in units of 8 bytes.</param>
    /// <returns>The value.</returns>
    public double ReadDouble(int index) => BitConverter.UInt64BitsToDouble(ReadUInt64(index));

    /// <summary>Follows pointer <paramref name="index"/> to a struct; a missing or null pointer gives an empty struct.</summary>
    /// <param name="index">The pointer index.</param>
    /// <param name="value">The struct.</param>
    /// <returns><see cref="CapnpError.None"/>, or why the pointer is invalid.</returns>
    public CapnpError TryGetStruct(int index, out CapnpStruct value)
    {
        if (index < 0 || index >= _pointerCount)
        {
            value = new CapnpStruct(_message, 0, 0, 0, 0, 0, 0, _depth + 1);
            return _depth + 1 > CapnpMessage.MaxDepth ? CapnpError.NestingLimit : CapnpError.None;
        }

        return _message.TryFollowStruct(_pointers + (8 * index), _segStart, _segEnd, _depth, out value);
    }

    /// <summary>Follows pointer <paramref name="index"/> to a text (UTF-8, without its NUL); missing or null: empty.</summary>
    /// <param name="index">The pointer index.</param>
    /// <param name="utf8">The text's bytes, inside the message buffer.</param>
    /// <returns><see cref="CapnpError.None"/>, or why the pointer is invalid.</returns>
    public CapnpError TryGetText(int index, out ReadOnlySpan<byte> utf8)
    {
        if (index < 0 || index >= _pointerCount)
        {
            utf8 = default;
            return CapnpError.None;
        }

        return _message.TryFollowText(_pointers + (8 * index), _segStart, _segEnd, _depth, out utf8);
    }

    private bool Slice(int index, int size, out ReadOnlySpan<byte> bytes)
    {
        long offset = (long)index * size;
        if (index < 0 || offset + size > _dataBytes)
        {
            bytes = default;
            return false;
        }

        bytes = _message.Buffer.Slice(_data + (int)offset, size);
        return true;
    }
}
