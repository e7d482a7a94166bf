namespace Meowstik.Protocol;

/// <summary>Writes the protocol's timestamp form: ISO 8601 UTC with milliseconds, e.g. <c>2026-01-19T12:00:00.000Z</c>.</summary>
public static class Iso8601Timestamp
{
    /// <summary>Length of a written timestamp, in bytes.</summary>
    public const int Length = 24;

    /// <summary>Writes <paramref name="value"/> (converted to UTC) into <paramref name="destination"/>; returns <see cref="Length"/>.</summary>
    public static int Write(Span<byte> destination, DateTimeOffset value)
    {
        if (destination.Length < Length) throw new ArgumentException($"Destination must hold {Length} bytes.", nameof(destination));
        DateTime utc = value.UtcDateTime;
        Digits(destination, 0, utc.Year, 4);
        destination[4] = (byte)'-';
        Digits(destination, 5, utc.Month, 2);
        destination[7] = (byte)'-';
        Digits(destination, 8, utc.Day, 2);
        destination[10] = (byte)'T';
        Digits(destination, 11, utc.Hour, 2);
        destination[13] = (byte)':';
        Digits(destination, 14, utc.Minute, 2);
        destination[16] = (byte)':';
        Digits(destination, 17, utc.Second, 2);
        destination[19] = (byte)'.';
        Digits(destination, 20, utc.Millisecond, 3);
        destination[23] = (byte)'Z';
        return Length;
    }

    /// <summary>True when an ISO 8601 date-time text carries a UTC designator or an offset (the protocol requires one on read).</summary>
    internal static bool HasOffset(ReadOnlySpan<byte> text)
    {
        int t = text.IndexOfAny((byte)'T', (byte)'t');
        if (t < 0) return false;
        return text[(t + 1)..].IndexOfAny("Zz+-"u8) >= 0;
    }

    private static void Digits(Span<byte> destination, int offset, int value, int count)
    {
        for (int i = offset + count - 1; i >= offset; i--)
        {
            destination[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }
}
