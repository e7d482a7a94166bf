using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Meowstik.Agent.Can;

/// <summary>What kind of CAN frame a <see cref="CanFrame"/> is, beside its id.</summary>
[Flags]
public enum CanFrameFlags : byte
{
    /// <summary>A standard (11-bit id) data frame.</summary>
    None = 0,

    /// <summary>The id is a 29-bit extended id.</summary>
    Extended = 1,

    /// <summary>A remote transmission request (no data, only a length).</summary>
    Remote = 2,

    /// <summary>An error frame (the id holds the kernel's error class bits, the data its details).</summary>
    Error = 4,
}

/// <summary>
/// One classic CAN frame (up to 8 data bytes), held inline: copying one allocates nothing. The data is kept as a
/// little-endian 64-bit word, zero-padded past <see cref="Length"/>, which is also what the DBC decoder reads.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct CanFrame : IEquatable<CanFrame>
{
    /// <summary>The largest standard id (11 bits).</summary>
    public const uint MaxStandardId = 0x7FF;

    /// <summary>The largest extended id (29 bits).</summary>
    public const uint MaxExtendedId = 0x1FFF_FFFF;

    /// <summary>The most data bytes a classic CAN frame carries.</summary>
    public const int MaxDataLength = 8;

    private readonly ulong _data;

    /// <summary>Creates a frame.</summary>
    /// <param name="id">The id: at most <see cref="MaxStandardId"/>, or <see cref="MaxExtendedId"/> with <see cref="CanFrameFlags.Extended"/>.</param>
    /// <param name="data">0-8 data bytes (for a remote frame: empty, and give <paramref name="remoteLength"/>).</param>
    /// <param name="flags">Extended, remote, error.</param>
    /// <param name="timestampMicroseconds">When it was seen, in microseconds since the Unix epoch (0: unknown).</param>
    /// <param name="remoteLength">The requested length of a remote frame (0-8).</param>
    /// <exception cref="ArgumentOutOfRangeException">The id does not fit its format, or more than 8 bytes.</exception>
    public CanFrame(uint id, ReadOnlySpan<byte> data, CanFrameFlags flags = CanFrameFlags.None, long timestampMicroseconds = 0, int remoteLength = 0)
    {
        uint max = (flags & CanFrameFlags.Extended) != 0 ? MaxExtendedId : MaxStandardId;
        if ((flags & CanFrameFlags.Error) == 0 && id > max)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"A {((flags & CanFrameFlags.Extended) != 0 ? "29" : "11")}-bit CAN id is at most 0x{max:X}.");
        }

        if (data.Length > MaxDataLength)
        {
            throw new ArgumentOutOfRangeException(nameof(data), data.Length, "A classic CAN frame carries at most 8 data bytes.");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)remoteLength, (uint)MaxDataLength, nameof(remoteLength));
        Id = id;
        Flags = flags;
        TimestampMicroseconds = timestampMicroseconds;
        if ((flags & CanFrameFlags.Remote) != 0)
        {
            Length = (byte)remoteLength;
            _data = 0;
        }
        else
        {
            Length = (byte)data.Length;
            Span<byte> padded = stackalloc byte[8];
            padded.Clear();
            data.CopyTo(padded);
            _data = BinaryPrimitives.ReadUInt64LittleEndian(padded);
        }
    }

    /// <summary>The id (11 or 29 bits; for an error frame, the error class bits).</summary>
    public uint Id { get; }

    /// <summary>The number of data bytes (the requested length for a remote frame).</summary>
    public byte Length { get; }

    /// <summary>Extended, remote, error.</summary>
    public CanFrameFlags Flags { get; }

    /// <summary>When the frame was seen, in microseconds since the Unix epoch (0: unknown).</summary>
    public long TimestampMicroseconds { get; }

    /// <summary>Whether the id is a 29-bit extended id.</summary>
    public bool IsExtended => (Flags & CanFrameFlags.Extended) != 0;

    /// <summary>Whether this is a remote transmission request.</summary>
    public bool IsRemote => (Flags & CanFrameFlags.Remote) != 0;

    /// <summary>Whether this is an error frame.</summary>
    public bool IsError => (Flags & CanFrameFlags.Error) != 0;

    /// <summary>The data as a little-endian word: byte 0 in bits 0-7, zero past <see cref="Length"/>.</summary>
    public ulong DataLittleEndian => _data;

    /// <summary>Copies the data bytes (<see cref="Length"/> of them; none for a remote frame) into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="Length"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public int CopyDataTo(Span<byte> destination)
    {
        if (IsRemote)
        {
            return 0;
        }

        Span<byte> all = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(all, _data);
        all[..Length].CopyTo(destination);
        return Length;
    }

    /// <summary>The same frame with another timestamp.</summary>
    /// <param name="timestampMicroseconds">Microseconds since the Unix epoch.</param>
    /// <returns>The copy.</returns>
    public CanFrame WithTimestamp(long timestampMicroseconds) => new(this, timestampMicroseconds);

    private CanFrame(in CanFrame other, long timestampMicroseconds)
    {
        Id = other.Id;
        Length = other.Length;
        Flags = other.Flags;
        _data = other._data;
        TimestampMicroseconds = timestampMicroseconds;
    }

    /// <inheritdoc />
    public bool Equals(CanFrame other) =>
        Id == other.Id && Length == other.Length && Flags == other.Flags && _data == other._data && TimestampMicroseconds == other.TimestampMicroseconds;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CanFrame other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Id, Length, Flags, _data, TimestampMicroseconds);

    /// <summary>Compares two frames.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(CanFrame left, CanFrame right) => left.Equals(right);

    /// <summary>Compares two frames.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(CanFrame left, CanFrame right) => !left.Equals(right);

    /// <summary>The frame in candump's compact form, e.g. <c>123#DEADBEEF</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => CandumpFormat.FormatFrame(this);
}
