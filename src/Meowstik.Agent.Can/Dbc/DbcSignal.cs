using System.Buffers.Binary;

namespace Meowstik.Agent.Can.Dbc;

/// <summary>A signal's byte order: <c>@1</c> Intel (little-endian) or <c>@0</c> Motorola (big-endian).</summary>
public enum DbcByteOrder
{
    /// <summary><c>@0</c>: big-endian; the start bit is the most significant bit, in DBC's sawtooth numbering.</summary>
    Motorola = 0,

    /// <summary><c>@1</c>: little-endian; the start bit is the least significant bit.</summary>
    Intel = 1,
}

/// <summary>A signal's part in multiplexing.</summary>
public enum DbcMultiplexRole
{
    /// <summary>Always present.</summary>
    None,

    /// <summary><c>M</c>: the multiplexor, whose value selects the multiplexed signals.</summary>
    Multiplexor,

    /// <summary><c>m&lt;n&gt;</c>: present only when the multiplexor's raw value is <see cref="DbcSignal.MultiplexValue"/>.</summary>
    Multiplexed,
}

/// <summary>One <c>SG_</c> line: where a signal sits in its message and how its raw value becomes a physical one.</summary>
public sealed class DbcSignal
{
    private readonly int _shift;
    private readonly ulong _mask;

    /// <summary>Creates a signal (normally done by <see cref="DbcFile.Parse(string)"/>).</summary>
    /// <param name="name">The name.</param>
    /// <param name="startBit">The start bit as written in the DBC file.</param>
    /// <param name="length">The length in bits (1-64).</param>
    /// <param name="byteOrder">Intel or Motorola.</param>
    /// <param name="isSigned">Two's complement (<c>-</c>) or unsigned (<c>+</c>).</param>
    /// <param name="factor">physical = raw × factor + offset.</param>
    /// <param name="offset">physical = raw × factor + offset.</param>
    /// <exception cref="ArgumentOutOfRangeException">The signal does not fit in 8 bytes, or the factor is 0.</exception>
    public DbcSignal(string name, int startBit, int length, DbcByteOrder byteOrder, bool isSigned, double factor = 1, double offset = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 64);
        ArgumentOutOfRangeException.ThrowIfNegative(startBit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(startBit, 63);
        if (factor == 0 || !double.IsFinite(factor) || !double.IsFinite(offset))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"Signal '{name}': the factor must be finite and not 0, the offset finite.");
        }

        Name = name;
        StartBit = startBit;
        Length = length;
        ByteOrder = byteOrder;
        IsSigned = isSigned;
        Factor = factor;
        Offset = offset;
        _mask = length == 64 ? ulong.MaxValue : (1UL << length) - 1;
        if (byteOrder == DbcByteOrder.Intel)
        {
            // Little-endian word: byte 0 in bits 0-7; the start bit is the LSB.
            _shift = startBit;
            if (startBit + length > 64)
            {
                throw new ArgumentOutOfRangeException(nameof(length), $"Signal '{name}' (Intel, start {startBit}, {length} bits) runs past byte 8.");
            }
        }
        else
        {
            // Big-endian word: byte 0 in bits 56-63. Sawtooth bit s is bit s%8 of byte s/8, i.e. word bit 56 - 8(s/8) + s%8;
            // that is the MSB, so the LSB sits length - 1 bits lower.
            int msb = 56 - (8 * (startBit / 8)) + (startBit % 8);
            _shift = msb - length + 1;
            if (_shift < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(length), $"Signal '{name}' (Motorola, start {startBit}, {length} bits) runs past byte 8.");
            }
        }
    }

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>The start bit as written in the DBC file (LSB for Intel, MSB in sawtooth numbering for Motorola).</summary>
    public int StartBit { get; }

    /// <summary>The length in bits.</summary>
    public int Length { get; }

    /// <summary>Intel or Motorola.</summary>
    public DbcByteOrder ByteOrder { get; }

    /// <summary>Whether the raw value is two's complement.</summary>
    public bool IsSigned { get; }

    /// <summary>physical = raw × factor + offset.</summary>
    public double Factor { get; }

    /// <summary>physical = raw × factor + offset.</summary>
    public double Offset { get; }

    /// <summary>The <c>[min|max]</c> minimum (physical).</summary>
    public double Minimum { get; init; }

    /// <summary>The <c>[min|max]</c> maximum (physical); 0 and 0 mean no range given.</summary>
    public double Maximum { get; init; }

    /// <summary>The unit, e.g. <c>km/h</c>.</summary>
    public string Unit { get; init; } = "";

    /// <summary>The receiving nodes.</summary>
    public IReadOnlyList<string> Receivers { get; init; } = [];

    /// <summary>The signal's part in multiplexing.</summary>
    public DbcMultiplexRole MultiplexRole { get; init; }

    /// <summary>For a multiplexed signal, the multiplexor value that selects it.</summary>
    public long MultiplexValue { get; init; }

    /// <summary>The <c>VAL_</c> table: raw value to its description.</summary>
    public IReadOnlyDictionary<long, string> ValueDescriptions { get; internal set; } = EmptyValues;

    private static readonly IReadOnlyDictionary<long, string> EmptyValues = new Dictionary<long, string>();

    /// <summary>The smallest raw value the signal holds.</summary>
    public long RawMinimum => IsSigned ? (Length == 64 ? long.MinValue : -(1L << (Length - 1))) : 0;

    /// <summary>The largest raw value the signal holds (for a 64-bit unsigned signal, <see cref="long.MaxValue"/>: raw values are <see cref="long"/>).</summary>
    public long RawMaximum => IsSigned ? (Length == 64 ? long.MaxValue : (1L << (Length - 1)) - 1) : (Length >= 63 ? long.MaxValue : (1L << Length) - 1);

    /// <summary>Reads the raw value from a frame's data word (see <see cref="CanFrame.DataLittleEndian"/>).</summary>
    /// <param name="dataLittleEndian">The 8 data bytes as a little-endian word, zero-padded.</param>
    /// <returns>The raw value, sign-extended when signed.</returns>
    public long DecodeRaw(ulong dataLittleEndian)
    {
        ulong word = ByteOrder == DbcByteOrder.Intel ? dataLittleEndian : BinaryPrimitives.ReverseEndianness(dataLittleEndian);
        ulong raw = (word >> _shift) & _mask;
        if (IsSigned && Length < 64)
        {
            int unused = 64 - Length;
            return (long)(raw << unused) >> unused;
        }

        return (long)raw;
    }

    /// <summary>Reads the raw value from data bytes (fewer than 8 are zero-padded).</summary>
    /// <param name="data">The frame's data.</param>
    /// <returns>The raw value.</returns>
    public long DecodeRaw(ReadOnlySpan<byte> data) => DecodeRaw(ToWord(data));

    /// <summary>Reads the physical value (raw × factor + offset) from a frame's data word.</summary>
    /// <param name="dataLittleEndian">The data as a little-endian word.</param>
    /// <returns>The physical value.</returns>
    public double Decode(ulong dataLittleEndian) => (DecodeRaw(dataLittleEndian) * Factor) + Offset;

    /// <summary>Reads the physical value from data bytes.</summary>
    /// <param name="data">The frame's data.</param>
    /// <returns>The physical value.</returns>
    public double Decode(ReadOnlySpan<byte> data) => Decode(ToWord(data));

    /// <summary>Writes a raw value into a data word, leaving the other bits alone.</summary>
    /// <param name="dataLittleEndian">The data word to update.</param>
    /// <param name="raw">The raw value (its low <see cref="Length"/> bits are written).</param>
    public void EncodeRaw(ref ulong dataLittleEndian, long raw)
    {
        ulong word = ByteOrder == DbcByteOrder.Intel ? dataLittleEndian : BinaryPrimitives.ReverseEndianness(dataLittleEndian);
        word = (word & ~(_mask << _shift)) | (((ulong)raw & _mask) << _shift);
        dataLittleEndian = ByteOrder == DbcByteOrder.Intel ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    /// <summary>Converts a physical value to the raw value the signal would carry: (physical − offset) ÷ factor, rounded.</summary>
    /// <param name="physical">The physical value.</param>
    /// <param name="raw">The raw value.</param>
    /// <returns>False when the value is not finite or does not fit in the signal's bits.</returns>
    public bool TryGetRaw(double physical, out long raw)
    {
        double r = Math.Round((physical - Offset) / Factor, MidpointRounding.AwayFromZero);
        if (!double.IsFinite(r) || r < RawMinimum || r > RawMaximum)
        {
            raw = 0;
            return false;
        }

        raw = (long)r;
        return true;
    }

    /// <summary>Writes a physical value into a data word.</summary>
    /// <param name="dataLittleEndian">The data word to update.</param>
    /// <param name="physical">The physical value.</param>
    /// <returns>False (and nothing written) when it does not fit.</returns>
    public bool TryEncode(ref ulong dataLittleEndian, double physical)
    {
        if (!TryGetRaw(physical, out long raw))
        {
            return false;
        }

        EncodeRaw(ref dataLittleEndian, raw);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {StartBit}|{Length}@{(int)ByteOrder}{(IsSigned ? '-' : '+')} ({Factor},{Offset}) \"{Unit}\"";

    internal static ulong ToWord(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 8)
        {
            return BinaryPrimitives.ReadUInt64LittleEndian(data);
        }

        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        data.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64LittleEndian(padded);
    }
}
