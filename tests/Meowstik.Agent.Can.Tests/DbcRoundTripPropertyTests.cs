using Meowstik.Agent.Can.Dbc;

namespace Meowstik.Agent.Can.Tests;

/// <summary>
/// Every signal layout that fits in 8 bytes (byte order × signedness × start bit × length), each encoded and decoded with
/// several raw values over a random background, and checked against an independent bit-by-bit reference of the DBC rules.
/// </summary>
public sealed class DbcRoundTripPropertyTests
{
    /// <summary>The DBC bit positions of a signal, most significant first (cantools' walk, written independently).</summary>
    private static List<int> Bits(int start, int length, DbcByteOrder order)
    {
        var bits = new List<int>(length);
        if (order == DbcByteOrder.Intel)
        {
            for (int i = length - 1; i >= 0; i--)
            {
                bits.Add(start + i);                        // LSB at the start bit, counting up through the bytes
            }
        }
        else
        {
            int b = start;                                  // MSB at the start bit, then down within a byte and on to the next byte's bit 7
            for (int i = 0; i < length; i++)
            {
                bits.Add(b);
                b = b % 8 == 0 ? b + 15 : b - 1;
            }
        }

        return bits;
    }

    private static bool Fits(int start, int length, DbcByteOrder order) =>
        Bits(start, length, order).TrueForAll(b => b is >= 0 and < 64);

    private static bool GetBit(byte[] data, int bit) => ((data[bit / 8] >> (bit % 8)) & 1) != 0;

    private static long ReferenceDecode(byte[] data, int start, int length, DbcByteOrder order, bool signed)
    {
        ulong raw = 0;
        foreach (int bit in Bits(start, length, order))
        {
            raw = (raw << 1) | (GetBit(data, bit) ? 1UL : 0UL);
        }

        if (signed && length < 64 && (raw >> (length - 1) & 1) != 0)
        {
            raw |= ulong.MaxValue << length;
        }

        return (long)raw;
    }

    public static IEnumerable<object[]> Layouts()
    {
        foreach (DbcByteOrder order in new[] { DbcByteOrder.Intel, DbcByteOrder.Motorola })
        {
            foreach (bool signed in new[] { false, true })
            {
                yield return [order, signed];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Every_start_bit_and_length_that_fits_round_trips_and_matches_the_reference(DbcByteOrder order, bool signed)
    {
        var random = new Random(20260119 + (int)order * 2 + (signed ? 1 : 0));
        int layouts = 0;
        var background = new byte[8];
        for (int start = 0; start < 64; start++)
        {
            for (int length = 1; length <= 64; length++)
            {
                if (!Fits(start, length, order))
                {
                    Assert.Throws<ArgumentOutOfRangeException>(() => new DbcSignal("S", start, length, order, signed));
                    continue;
                }

                layouts++;
                var signal = new DbcSignal("S", start, length, order, signed, factor: 0.5, offset: -3);
                HashSet<int> own = [.. Bits(start, length, order)];
                long min = signal.RawMinimum, max = signal.RawMaximum;
                long[] raws = [0, 1 % (max + 1), max, min, signed ? -1 : max / 2, NextRaw(random, min, max), NextRaw(random, min, max)];
                foreach (long raw in raws)
                {
                    random.NextBytes(background);
                    ulong word = BitConverter.ToUInt64(background);
                    signal.EncodeRaw(ref word, raw);
                    byte[] bytes = BitConverter.GetBytes(word);

                    Assert.Equal(raw, signal.DecodeRaw(word));
                    Assert.Equal(raw, signal.DecodeRaw(bytes));
                    Assert.Equal(raw, ReferenceDecode(bytes, start, length, order, signed));
                    for (int bit = 0; bit < 64; bit++)
                    {
                        if (!own.Contains(bit) && GetBit(bytes, bit) != GetBit(background, bit))
                        {
                            Assert.Fail($"{signal}: encoding {raw} changed bit {bit}, which is not the signal's.");
                        }
                    }

                    // And through the physical value: raw × 0.5 − 3 back to the same raw (exact for |raw| < 2^52).
                    if (raw > -(1L << 52) && raw < (1L << 52))
                    {
                        double physical = signal.Decode(word);
                        Assert.Equal((raw * 0.5) - 3, physical);
                        ulong again = 0;
                        Assert.True(signal.TryEncode(ref again, physical));
                        Assert.Equal(raw, signal.DecodeRaw(again));
                    }
                }
            }
        }

        // Intel: start + length ≤ 64 → Σ(64 − s) = 2080 layouts; Motorola: the same count, mirrored.
        Assert.Equal(2080, layouts);
    }

    [Fact]
    public void Values_beyond_the_signal_are_refused_not_wrapped()
    {
        var s = new DbcSignal("S", 0, 8, DbcByteOrder.Intel, isSigned: true);
        ulong word = 0xFFFF;
        Assert.False(s.TryEncode(ref word, 128));
        Assert.False(s.TryEncode(ref word, -129));
        Assert.False(s.TryEncode(ref word, double.NaN));
        Assert.Equal(0xFFFFUL, word);
        Assert.True(s.TryEncode(ref word, -128));
        Assert.Equal(0xFF80UL, word);
    }

    private static long NextRaw(Random random, long min, long max)
    {
        ulong span = (ulong)(max - min);
        ulong r = (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1);
        return span == ulong.MaxValue ? (long)r : min + (long)(r % (span + 1));
    }
}
