namespace Meowstik.Agent.Can.Dbc;

/// <summary>One decoded signal: the signal (a reference into the parsed file, nothing allocated) and its values.</summary>
/// <param name="Signal">The signal.</param>
/// <param name="Raw">The raw value.</param>
/// <param name="Value">The physical value (raw × factor + offset).</param>
public readonly record struct DecodedSignal(DbcSignal Signal, long Raw, double Value);

/// <summary>One <c>BO_</c> message and its signals.</summary>
public sealed class DbcMessage
{
    private readonly DbcSignal[] _signals;
    private readonly DbcSignal? _multiplexor;

    /// <summary>Creates a message (normally done by <see cref="DbcFile.Parse(string)"/>).</summary>
    /// <param name="id">The CAN id (without DBC's extended flag bit 31).</param>
    /// <param name="isExtended">Whether it is a 29-bit id.</param>
    /// <param name="name">The name.</param>
    /// <param name="length">The data length in bytes.</param>
    /// <param name="transmitter">The sending node.</param>
    /// <param name="signals">The signals.</param>
    public DbcMessage(uint id, bool isExtended, string name, int length, string transmitter, IEnumerable<DbcSignal> signals)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(signals);
        Id = id;
        IsExtended = isExtended;
        Name = name;
        Length = length;
        Transmitter = transmitter ?? "";
        _signals = [.. signals];
        _multiplexor = Array.Find(_signals, s => s.MultiplexRole == DbcMultiplexRole.Multiplexor);
    }

    /// <summary>The CAN id.</summary>
    public uint Id { get; }

    /// <summary>Whether the id is extended (29 bits).</summary>
    public bool IsExtended { get; }

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>The data length in bytes.</summary>
    public int Length { get; }

    /// <summary>The sending node (<c>Vector__XXX</c> when none).</summary>
    public string Transmitter { get; }

    /// <summary>The signals, in file order.</summary>
    public IReadOnlyList<DbcSignal> Signals => _signals;

    /// <summary>The multiplexor signal (<c>M</c>), if any.</summary>
    public DbcSignal? Multiplexor => _multiplexor;

    /// <summary>Finds a signal by name.</summary>
    /// <param name="name">The name (case-sensitive).</param>
    /// <returns>The signal, or null.</returns>
    public DbcSignal? FindSignal(string name) => Array.Find(_signals, s => s.Name == name);

    /// <summary>
    /// Decodes the signals present in <paramref name="frame"/> into <paramref name="destination"/>, without allocating:
    /// every plain signal, the multiplexor, and the multiplexed signals its value selects.
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="destination">Room for the signals (<see cref="Signals"/>.Count is always enough).</param>
    /// <returns>The number written; when the span is too small, as many as fit.</returns>
    public int Decode(in CanFrame frame, Span<DecodedSignal> destination) => Decode(frame.DataLittleEndian, destination);

    /// <summary>Decodes data given as a little-endian word (see <see cref="Decode(in CanFrame, Span{DecodedSignal})"/>).</summary>
    /// <param name="dataLittleEndian">The data word.</param>
    /// <param name="destination">Room for the signals.</param>
    /// <returns>The number written.</returns>
    public int Decode(ulong dataLittleEndian, Span<DecodedSignal> destination)
    {
        long mux = _multiplexor is null ? 0 : _multiplexor.DecodeRaw(dataLittleEndian);
        int n = 0;
        DbcSignal[] signals = _signals;
        for (int i = 0; i < signals.Length && n < destination.Length; i++)
        {
            DbcSignal s = signals[i];
            if (s.MultiplexRole == DbcMultiplexRole.Multiplexed && (_multiplexor is null || s.MultiplexValue != mux))
            {
                continue;
            }

            long raw = s.DecodeRaw(dataLittleEndian);
            destination[n++] = new DecodedSignal(s, raw, (raw * s.Factor) + s.Offset);
        }

        return n;
    }

    /// <summary>
    /// Encodes physical values into a frame of this message (signals not named are 0 raw). For a multiplexed message,
    /// name the multiplexor; a multiplexed signal it does not select is refused.
    /// </summary>
    /// <param name="values">Signal name to physical value.</param>
    /// <param name="frame">The frame.</param>
    /// <param name="error">Why encoding failed.</param>
    /// <returns>Whether every value was known and fit.</returns>
    public bool TryEncode(IEnumerable<KeyValuePair<string, double>> values, out CanFrame frame, out string? error)
    {
        ArgumentNullException.ThrowIfNull(values);
        ulong word = 0;
        frame = default;
        long? mux = null;
        var pending = new List<(DbcSignal Signal, double Value)>();
        foreach ((string name, double value) in values)
        {
            DbcSignal? s = FindSignal(name);
            if (s is null)
            {
                error = $"Message '{Name}' has no signal '{name}'.";
                return false;
            }

            if (!s.TryGetRaw(value, out long raw))
            {
                error = $"Signal '{name}': {value} does not fit ({s.Length} bits, factor {s.Factor}, offset {s.Offset}).";
                return false;
            }

            if (s.MultiplexRole == DbcMultiplexRole.Multiplexor)
            {
                mux = raw;
            }

            s.EncodeRaw(ref word, raw);
            pending.Add((s, value));
        }

        foreach ((DbcSignal s, _) in pending)
        {
            if (s.MultiplexRole == DbcMultiplexRole.Multiplexed && mux != s.MultiplexValue)
            {
                error = $"Signal '{s.Name}' is sent only when multiplexor '{_multiplexor?.Name}' is {s.MultiplexValue}.";
                return false;
            }
        }

        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, word);
        frame = new CanFrame(Id, bytes[..Math.Clamp(Length, 0, 8)], IsExtended ? CanFrameFlags.Extended : CanFrameFlags.None);
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} (0x{Id:X}{(IsExtended ? " extended" : "")}, {Length} bytes)";
}
