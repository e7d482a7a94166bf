using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Protocol.Tests;

public partial class IdentityAndTimeTests
{
    [GeneratedRegex("^msg_[0-9]+_[0-9a-z]{1,13}$")]
    private static partial Regex IdPattern();

    [Fact]
    public void Message_ids_have_the_documented_form()
    {
        Span<byte> buffer = stackalloc byte[MessageId.MaxLength];
        int length = MessageId.Write(buffer, 1705678234567);
        string id = Encoding.ASCII.GetString(buffer[..length]);
        Assert.Matches(IdPattern(), id);
        Assert.StartsWith("msg_1705678234567_", id);
        Assert.True(DeviceId.IsValid(buffer[..length]), "ids use only device-id-safe characters");

        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 19, 12, 0, 0, TimeSpan.Zero));
        Assert.StartsWith("msg_1768824000000_", MessageId.NewId(time));
        Assert.Throws<ArgumentException>(() => MessageId.Write(new byte[MessageId.MaxLength - 1], 1));
    }

    [Fact]
    public void Message_ids_are_unique_across_threads_within_one_millisecond()
    {
        const int Threads = 8, PerThread = 125_000; // 1M ids
        var ids = new ConcurrentDictionary<string, byte>();
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            Span<byte> buffer = stackalloc byte[MessageId.MaxLength];
            for (int i = 0; i < PerThread; i++)
            {
                int length = MessageId.Write(buffer, 42); // the same clock reading everywhere: only the suffix differs
                Assert.True(ids.TryAdd(Encoding.ASCII.GetString(buffer[..length]), 0), "duplicate id");
            }
        });
        Assert.Equal(Threads * PerThread, ids.Count);
    }

    [Fact]
    public void Message_id_suffixes_do_not_reveal_a_sequence()
    {
        Span<byte> a = stackalloc byte[MessageId.MaxLength], b = stackalloc byte[MessageId.MaxLength];
        int la = MessageId.Write(a, 1), lb = MessageId.Write(b, 1);
        // Consecutive ids from a counter would share a long prefix; the mixed suffixes should differ early.
        int common = a[6..la].CommonPrefixLength(b[6..lb]);
        Assert.True(common < 6, $"suffixes share {common} leading characters");
    }

    [Fact]
    public void The_next_id_cannot_be_predicted_by_inverting_the_previous_one()
    {
        // The attack on the old generator: suffix = splitmix64(counter + salt) is invertible, so un-mixing one observed
        // suffix, adding one and mixing again gave the next id exactly. With CSPRNG suffixes it must never work.
        ulong previous = Suffix(MessageId.NewId());
        int predicted = 0;
        for (int i = 0; i < 10_000; i++)
        {
            ulong next = Suffix(MessageId.NewId());
            if (SplitMix(UnSplitMix(previous) + 1) == next) predicted++;
            previous = next;
        }

        Assert.Equal(0, predicted);
        Assert.Equal(0x0123456789abcdefUL, UnSplitMix(SplitMix(0x0123456789abcdefUL))); // the inverse is right
    }

    [Fact]
    public void Message_id_suffix_bits_are_balanced()
    {
        // 64 random bits per id: each bit is set in about half of the ids (a counter or weak mixer skews the high bits).
        const int Count = 200_000;
        Span<int> ones = stackalloc int[64];
        for (int i = 0; i < Count; i++)
        {
            ulong value = Suffix(MessageId.NewId());
            for (int bit = 0; bit < 64; bit++) ones[bit] += (int)((value >> bit) & 1);
        }

        double sigma = Math.Sqrt(Count * 0.25);
        for (int bit = 0; bit < 64; bit++)
        {
            Assert.InRange(ones[bit], Count / 2 - 6 * sigma, Count / 2 + 6 * sigma);
        }
    }

    [Fact]
    public void Two_threads_starting_alike_produce_different_sequences()
    {
        // Fresh threads have identical generator state (nothing drawn yet); a seeded or counter-based generator would
        // give both the same suffixes.
        string[] first = new string[100], second = new string[100];
        var t1 = new Thread(() => { for (int i = 0; i < first.Length; i++) first[i] = Suffix36(MessageId.NewId()); });
        var t2 = new Thread(() => { for (int i = 0; i < second.Length; i++) second[i] = Suffix36(MessageId.NewId()); });
        t1.Start();
        t2.Start();
        t1.Join();
        t2.Join();
        Assert.Empty(first.Intersect(second));
    }

    [Fact]
    public void Message_id_generation_does_not_allocate()
    {
        Span<byte> buffer = stackalloc byte[MessageId.MaxLength];
        for (int i = 0; i < 1_000; i++) MessageId.Write(buffer, 42);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++) MessageId.Write(buffer, 42);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static string Suffix36(string id) => id[(id.LastIndexOf('_') + 1)..];

    private static ulong Suffix(string id)
    {
        ulong value = 0;
        foreach (char c in Suffix36(id)) value = unchecked(value * 36 + (ulong)(c <= '9' ? c - '0' : c - 'a' + 10));
        return value;
    }

    private static ulong SplitMix(ulong x)
    {
        unchecked
        {
            x ^= x >> 30;
            x *= 0xbf58476d1ce4e5b9UL;
            x ^= x >> 27;
            x *= 0x94d049bb133111ebUL;
            x ^= x >> 31;
            return x;
        }
    }

    private static ulong UnSplitMix(ulong x)
    {
        unchecked
        {
            x = UnXorShift(x, 31);
            x *= Inverse(0x94d049bb133111ebUL);
            x = UnXorShift(x, 27);
            x *= Inverse(0xbf58476d1ce4e5b9UL);
            return UnXorShift(x, 30);
        }
    }

    private static ulong UnXorShift(ulong y, int shift)
    {
        ulong x = y;
        for (int i = 0; i < 64 / shift + 1; i++) x = y ^ (x >> shift);
        return x;
    }

    // Multiplicative inverse of an odd number modulo 2^64 (Newton's iteration doubles the correct bits each step).
    private static ulong Inverse(ulong a)
    {
        unchecked
        {
            ulong x = a;
            for (int i = 0; i < 6; i++) x *= 2 - a * x;
            return x;
        }
    }

    [Theory]
    [InlineData("2026-01-19T12:00:00.000+00:00", "2026-01-19T12:00:00.000Z")]
    [InlineData("2026-01-19T14:30:00.250+02:30", "2026-01-19T12:00:00.250Z")]
    [InlineData("2026-01-01T00:59:59.999+01:00", "2025-12-31T23:59:59.999Z")]
    [InlineData("0001-01-01T00:00:00.000+00:00", "0001-01-01T00:00:00.000Z")]
    [InlineData("9999-12-31T23:59:59.999+00:00", "9999-12-31T23:59:59.999Z")]
    public void Timestamps_are_written_in_utc_with_milliseconds(string input, string expected)
    {
        Span<byte> buffer = stackalloc byte[Iso8601Timestamp.Length];
        Assert.Equal(Iso8601Timestamp.Length, Iso8601Timestamp.Write(buffer, DateTimeOffset.Parse(input)));
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer));
    }

    [Fact]
    public void Timestamps_truncate_below_a_millisecond_and_read_back_as_the_same_instant()
    {
        var value = new DateTimeOffset(2026, 1, 19, 12, 0, 0, TimeSpan.Zero).AddTicks(9_999); // 0.9999 ms
        Span<byte> buffer = stackalloc byte[Iso8601Timestamp.Length];
        Iso8601Timestamp.Write(buffer, value);
        Assert.Equal("2026-01-19T12:00:00.000Z", Encoding.ASCII.GetString(buffer));

        var output = new ArrayBufferWriter<byte>();
        var stamped = new DateTimeOffset(2026, 1, 19, 13, 0, 0, 123, TimeSpan.FromHours(1));
        new EnvelopeWriter().Write(output, new EnvelopeHeader(MessageType.Heartbeat) { Timestamp = stamped }, default);
        Assert.Contains("\"timestamp\":\"2026-01-19T12:00:00.123Z\"", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.True(EnvelopeReader.TryRead(output.WrittenSpan, out MeshEnvelope env, out _));
        Assert.Equal(stamped, env.TimestampValue);
        Assert.Equal(TimeSpan.Zero, env.TimestampValue!.Value.Offset);
        Assert.Throws<ArgumentException>(() => Iso8601Timestamp.Write(new byte[23], value));
    }

    [Fact]
    public void Writer_takes_generated_ids_and_times_from_its_time_provider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 19, 12, 0, 0, TimeSpan.Zero));
        var writer = new EnvelopeWriter(time);
        var output = new ArrayBufferWriter<byte>();
        writer.Write(output, new EnvelopeHeader(MessageType.Heartbeat) { From = "desktop-001"u8 }, default);
        string text = Encoding.UTF8.GetString(output.WrittenSpan);
        string id = Encoding.ASCII.GetString(writer.LastId);
        Assert.StartsWith("msg_1768824000000_", id);
        Assert.Equal($$"""{"id":"{{id}}","type":"heartbeat","from":"desktop-001","timestamp":"2026-01-19T12:00:00.000Z"}""", text);

        time.Advance(TimeSpan.FromMilliseconds(5));
        output.Clear();
        writer.Write(output, new EnvelopeHeader(MessageType.Heartbeat) { Id = "given-id"u8 }, default);
        Assert.Equal("given-id", Encoding.ASCII.GetString(writer.LastId));
        Assert.Contains("\"timestamp\":\"2026-01-19T12:00:00.005Z\"", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Writer_refuses_what_no_peer_would_accept()
    {
        var writer = new EnvelopeWriter();
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => writer.Write(output, new EnvelopeHeader(MessageType.Unknown), default));
        Assert.Throws<ArgumentException>(() => writer.Write(output, new EnvelopeHeader(MessageType.Event) { From = "bad id"u8 }, "{}"u8));
        Assert.Throws<ArgumentException>(() => writer.Write(output, new EnvelopeHeader(MessageType.Event) { To = new byte[65] }, "{}"u8));
        Assert.Throws<InvalidOperationException>(() => writer.EndEnvelope());
    }

    [Theory]
    [InlineData("desktop-001", true)]
    [InlineData("a", true)]
    [InlineData("A.b_c-9", true)]
    [InlineData("hub", true)]
    [InlineData("broadcast", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("slash/no", false)]
    [InlineData("colon:no", false)]
    [InlineData("gerät", false)]
    [InlineData("tab\tno", false)]
    [InlineData("emoji😺", false)]
    public void Device_id_rules(string id, bool valid)
    {
        Assert.Equal(valid, DeviceId.IsValid(id.AsSpan()));
        Assert.Equal(valid, DeviceId.IsValid(Encoding.UTF8.GetBytes(id)));
    }

    [Fact]
    public void Device_ids_are_at_most_64_characters_and_two_names_are_reserved()
    {
        Assert.True(DeviceId.IsValid(new string('x', 64).AsSpan()));
        Assert.False(DeviceId.IsValid(new string('x', 65).AsSpan()));
        Assert.False(DeviceId.IsValid(Encoding.ASCII.GetBytes(new string('x', 65))));
        Assert.True(DeviceId.IsReserved("hub"));
        Assert.True(DeviceId.IsReserved("broadcast"));
        Assert.False(DeviceId.IsReserved("Hub"));
        Assert.True("hub"u8.SequenceEqual(DeviceId.HubUtf8));
        Assert.True("broadcast"u8.SequenceEqual(DeviceId.BroadcastUtf8));
    }

    [Fact]
    public void Error_code_wire_names_round_trip()
    {
        foreach (ProtocolErrorCode code in Enum.GetValues<ProtocolErrorCode>())
        {
            string name = ProtocolErrorCodes.GetWireName(code);
            Assert.Equal(name, Encoding.ASCII.GetString(ProtocolErrorCodes.GetUtf8WireName(code)));
            Assert.True(ProtocolErrorCodes.TryParse(name, out ProtocolErrorCode parsed));
            Assert.Equal(code, parsed);
        }
        Assert.False(ProtocolErrorCodes.TryParse("nope", out _));
    }
}

public class TimestampCacheTests
{
    [Fact]
    public void Cached_formatting_matches_the_plain_formatter_across_minutes_days_and_years()
    {
        var cache = new TimestampCache();
        var random = new Random(5);
        Span<byte> expected = stackalloc byte[Iso8601Timestamp.Length], actual = stackalloc byte[Iso8601Timestamp.Length];
        var value = new DateTimeOffset(2025, 12, 31, 23, 58, 0, TimeSpan.Zero);
        for (int i = 0; i < 20_000; i++)
        {
            // Mostly small steps (the cache's case), sometimes jumps back and forth, across the new year.
            value = random.Next(50) == 0
                ? value.AddMinutes(random.Next(-3000, 3000))
                : value.AddTicks(random.NextInt64(0, TimeSpan.TicksPerSecond * 2));
            DateTimeOffset stamped = value.ToOffset(TimeSpan.FromHours(random.Next(-12, 13)));
            Iso8601Timestamp.Write(expected, stamped);
            cache.Write(actual, stamped);
            Assert.Equal(Encoding.ASCII.GetString(expected), Encoding.ASCII.GetString(actual));
        }
    }
}

public class ProtocolLimitsTests
{
    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        Assert.Equal(1_048_576, ProtocolLimits.Default.MaxMessageBytes);
        Assert.Equal(32, ProtocolLimits.Default.MaxDepth);
        Assert.Equal(128, ProtocolLimits.Default.MaxIdBytes);
        Assert.Equal(64, ProtocolLimits.Default.MaxDeviceIdLength);
    }

    [Fact]
    public void Nonsense_limits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxMessageBytes = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxDepth = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxDepth = int.MaxValue });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxIdBytes = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxDeviceIdLength = 65 });
    }
}
