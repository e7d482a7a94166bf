using System.Text;

namespace Meowstik.Agent.Openpilot.Tests;

/// <summary>Multi-segment messages, far pointers, and corrupt input: every failure is a <see cref="CapnpError"/>, never an exception.</summary>
public sealed class CapnpReaderTests
{
    /// <summary>
    /// A carState Event spread over five segments: the root is a single-far pointer, the member a single-far pointer, and
    /// cruiseState a double-far pointer (landing pad in segment 3, content in segment 4).
    /// </summary>
    internal static byte[] MultiSegmentCarState() => Capnp.Frame(
        [Capnp.FarPointer(1, 0, isDouble: false)],
        [Capnp.StructPointer(0, 2, 1), 1234, Capnp.TagWord(21), Capnp.FarPointer(2, 0, isDouble: false)],
        [Capnp.StructPointer(0, 1, 3), Capnp.Float32Word(12.5f), 0, 0, Capnp.FarPointer(3, 0, isDouble: true)],
        [Capnp.FarPointer(4, 0, isDouble: false), Capnp.StructPointer(0, 1, 0)],
        [0b11 | Capnp.Float32Word(0, 27.5f)]);

    [Fact]
    public void Single_and_double_far_pointers_across_segments_are_followed()
    {
        byte[] message = MultiSegmentCarState();
        Assert.Equal(CapnpError.None, CapnpMessage.TryRead(message, out CapnpMessage m));
        Assert.Equal(5, m.SegmentCount);
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(message, out OpenpilotEvent e));
        Assert.Equal(OpenpilotEventKind.CarState, e.Kind);
        Assert.Equal(1234UL, e.LogMonoTime);
        Assert.True(e.Valid);
        Assert.Equal(CapnpError.None, e.TryReadCarState(out CarStateReading car));
        Assert.Equal(new CarStateReading(12.5f, true, true, 27.5f), car);
    }

    [Fact]
    public void A_text_behind_a_far_pointer_is_read()
    {
        // selfdriveState: alertText1 in segment 1 behind a single-far pointer, alertText2 a plain list pointer.
        byte[] message = Capnp.Frame(
            [Capnp.StructPointer(0, 2, 1), 5, Capnp.TagWord(128), Capnp.StructPointer(0, 1, 2), 0b11UL << 16, Capnp.FarPointer(1, 0, false), Capnp.ListPointer(0, 2, 3), 0x00_69_48],
            [Capnp.ListPointer(0, 2, 6), 0x00_6F_6C_6C_65_48UL]);
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(message, out OpenpilotEvent e));
        Assert.Equal(CapnpError.None, e.TryReadSelfdrive(out _, out bool enabled, out bool active, out ReadOnlySpan<byte> t1, out ReadOnlySpan<byte> t2));
        Assert.True(enabled && active);
        Assert.Equal("Hello", Encoding.UTF8.GetString(t1));
        Assert.Equal("Hi", Encoding.UTF8.GetString(t2));
    }

    [Fact]
    public void A_struct_from_an_older_schema_reads_missing_fields_as_defaults()
    {
        // carState with no data section and no pointers (an older writer): vEgo 0, cruise state all false.
        byte[] message = Capnp.Frame([Capnp.StructPointer(0, 2, 1), 1, Capnp.TagWord(21), Capnp.StructPointer(0, 0, 0)]);
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(message, out OpenpilotEvent e));
        Assert.Equal(CapnpError.None, e.TryReadCarState(out CarStateReading car));
        Assert.Equal(default, car);

        // A null member pointer: all defaults too.
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(Capnp.Frame([Capnp.StructPointer(0, 2, 1), 1, Capnp.TagWord(21), 0]), out e));
        Assert.Equal(CapnpError.None, e.TryReadCarState(out car));
        Assert.Equal(default, car);
    }

    public static TheoryData<string, byte[], CapnpError> Corrupt() => new()
    {
        { "empty", [], CapnpError.Truncated },
        { "shorter than a segment table", [0, 0, 0, 0], CapnpError.Truncated },
        { "segment longer than the buffer", Capnp.Vector("2026-06_carState")[..^8], CapnpError.Truncated },
        { "4 billion segments", [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0], CapnpError.BadSegmentTable },
        { "a segment table longer than the buffer", [3, 0, 0, 0, 1, 0, 0, 0], CapnpError.Truncated },
        { "empty segment 0", Capnp.Frame(Array.Empty<ulong>()), CapnpError.OutOfBounds },
        { "root beyond its segment", Capnp.Frame([Capnp.StructPointer(5, 2, 1), 0, 0, 0]), CapnpError.OutOfBounds },
        { "root before its segment", Capnp.Frame([Capnp.StructPointer(-3, 1, 0), 0]), CapnpError.OutOfBounds },
        { "root struct larger than the segment", Capnp.Frame([Capnp.StructPointer(0, 0xFFFF, 0xFFFF), 0]), CapnpError.OutOfBounds },
        { "root is a list", Capnp.Frame([Capnp.ListPointer(0, 2, 8), 0]), CapnpError.UnexpectedPointer },
        { "root is a capability", Capnp.Frame([3UL, 0]), CapnpError.UnexpectedPointer },
        { "member beyond the segment", Capnp.Frame([Capnp.StructPointer(0, 2, 1), 1, Capnp.TagWord(21), Capnp.StructPointer(100, 1, 3)]), CapnpError.OutOfBounds },
        { "member is a list", Capnp.Frame([Capnp.StructPointer(0, 2, 1), 1, Capnp.TagWord(21), Capnp.ListPointer(0, 2, 1), 0]), CapnpError.UnexpectedPointer },
        { "far pointer to a missing segment", Capnp.Frame([Capnp.FarPointer(7, 0, false)]), CapnpError.OutOfBounds },
        { "far pointer's pad beyond its segment", Capnp.Frame([Capnp.FarPointer(1, 9, false)], [0]), CapnpError.OutOfBounds },
        { "far pad that is itself far", Capnp.Frame([Capnp.FarPointer(1, 0, false)], [Capnp.FarPointer(0, 0, false)]), CapnpError.BadFarPointer },
        { "double-far pad whose first word is not far", Capnp.Frame([Capnp.FarPointer(1, 0, true)], [Capnp.StructPointer(0, 1, 0), Capnp.StructPointer(0, 1, 0)]), CapnpError.BadFarPointer },
        { "double-far pad whose tag is far", Capnp.Frame([Capnp.FarPointer(1, 0, true)], [Capnp.FarPointer(0, 0, false), Capnp.FarPointer(0, 0, false)]), CapnpError.BadFarPointer },
        { "double-far content beyond its segment", Capnp.Frame([Capnp.FarPointer(1, 0, true)], [Capnp.FarPointer(2, 0, false), Capnp.StructPointer(0, 4, 0)], [0]), CapnpError.OutOfBounds },
    };

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void A_corrupt_message_is_a_typed_error(string why, byte[] message, CapnpError expected)
    {
        Assert.False(string.IsNullOrEmpty(why));
        Assert.Equal(expected, OpenpilotEvent.TryRead(message, out _));
    }

    [Fact]
    public void Corrupt_texts_and_cruise_state_pointers_are_typed_errors()
    {
        // alertText1 without its NUL.
        byte[] noNul = Capnp.Frame([Capnp.StructPointer(0, 2, 1), 1, Capnp.TagWord(128), Capnp.StructPointer(0, 1, 2), 0, Capnp.ListPointer(1, 2, 2), 0, 0x6948]);
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(noNul, out OpenpilotEvent e));
        Assert.Equal(CapnpError.BadText, e.TryReadSelfdrive(out _, out _, out _, out _, out _));

        // alertText1 pointing to a struct; a text of 64-bit elements; a text longer than the segment.
        foreach ((ulong pointer, CapnpError error) in new[] { (Capnp.StructPointer(0, 1, 0), CapnpError.UnexpectedPointer), (Capnp.ListPointer(0, 5, 1), CapnpError.UnexpectedPointer), (Capnp.ListPointer(0, 2, 4096), CapnpError.OutOfBounds) })
        {
            byte[] bad = Capnp.Frame([Capnp.StructPointer(0, 2, 1), 1, Capnp.TagWord(128), Capnp.StructPointer(0, 1, 2), 0, pointer, 0, 0]);
            Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(bad, out e));
            Assert.Equal(error, e.TryReadSelfdrive(out _, out _, out _, out _, out _));
        }

        // carState's cruiseState pointer out of bounds.
        byte[] cruise = Capnp.Frame([Capnp.StructPointer(0, 2, 1), 1, Capnp.TagWord(21), Capnp.StructPointer(0, 1, 3), 0, 0, 0, Capnp.StructPointer(50, 1, 0)]);
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(cruise, out e));
        Assert.Equal(CapnpError.OutOfBounds, e.TryReadCarState(out _));

        // v2 driver monitoring's visionPolicyState is a list.
        byte[] vision = Capnp.Frame([Capnp.StructPointer(0, 2, 1), 1, Capnp.TagWord(149), Capnp.StructPointer(0, 1, 3), 0, 0, Capnp.ListPointer(1, 2, 1), 0, 0]);
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(vision, out e));
        Assert.Equal(CapnpError.UnexpectedPointer, e.TryReadDriverMonitoring(out _));
    }

    [Fact]
    public void A_pointer_cycle_stops_at_the_nesting_limit()
    {
        // A struct whose pointer 0 points at the struct itself (offset −2 from the end of the pointer).
        byte[] message = Capnp.Frame([Capnp.StructPointer(0, 1, 1), 0, Capnp.StructPointer(-2, 1, 1)]);
        Assert.Equal(CapnpError.None, CapnpMessage.TryRead(message, out CapnpMessage m));
        Assert.Equal(CapnpError.None, m.TryGetRoot(out CapnpStruct s));
        int hops = 0;
        CapnpError error;
        while ((error = s.TryGetStruct(0, out CapnpStruct next)) == CapnpError.None)
        {
            s = next;
            Assert.True(++hops < 1000);
        }

        Assert.Equal(CapnpError.NestingLimit, error);
        Assert.Equal(CapnpMessage.MaxDepth - 1, hops);
    }

    [Fact]
    public void Random_corruption_of_every_vector_never_throws_or_reads_outside_the_buffer()
    {
        var random = new Random(14);
        int errors = 0;
        foreach (string file in Directory.GetFiles(Capnp.VectorsDirectory, "20*.bin").Append("multi"))
        {
            byte[] original = file == "multi" ? MultiSegmentCarState() : File.ReadAllBytes(file);
            for (int i = 0; i < 2000; i++)
            {
                byte[] bytes = (byte[])original.Clone();
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                // Cut it short, sometimes, and read it from a slice of a larger buffer so any overrun would read the guard bytes.
                int length = random.Next(4) == 0 ? random.Next(bytes.Length) : bytes.Length;
                byte[] guarded = new byte[length + 64];
                Array.Fill(guarded, (byte)0xEE);
                bytes.AsSpan(0, length).CopyTo(guarded);
                errors += ReadEverything(guarded.AsSpan(0, length)) == CapnpError.None ? 0 : 1;
            }
        }

        Assert.True(errors > 100, $"only {errors} corruptions were detected");
    }

    private static CapnpError ReadEverything(ReadOnlySpan<byte> bytes)
    {
        CapnpError error = OpenpilotEvent.TryRead(bytes, out OpenpilotEvent e);
        if (error != CapnpError.None)
        {
            return error;
        }

        CapnpError a = e.TryReadCarState(out _), b = e.TryReadGpsLocation(out _), c = e.TryReadDriverMonitoring(out _);
        CapnpError d = e.TryReadSelfdrive(out _, out _, out _, out ReadOnlySpan<byte> t1, out ReadOnlySpan<byte> t2);
        Assert.True(t1.Length + t2.Length <= bytes.Length);
        CapnpError[] all = [a, b, c, d];
        return all.FirstOrDefault(x => x is not (CapnpError.None or CapnpError.UnexpectedPointer));
    }
}
