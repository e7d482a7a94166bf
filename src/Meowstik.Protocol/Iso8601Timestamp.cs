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
        // One date computation (the Year/Month/Day properties each redo it) and the time of day from the ticks.
        utc.Deconstruct(out int year, out int month, out int day);
        long ticksOfDay = utc.Ticks % TimeSpan.TicksPerDay;
        int milliseconds = (int)(ticksOfDay / TimeSpan.TicksPerMillisecond);
        int seconds = milliseconds / 1000;
        Two(destination, 0, year / 100);
        Two(destination, 2, year % 100);
        destination[4] = (byte)'-';
        Two(destination, 5, month);
        destination[7] = (byte)'-';
        Two(destination, 8, day);
        destination[10] = (byte)'T';
        Two(destination, 11, seconds / 3600);
        destination[13] = (byte)':';
        Two(destination, 14, seconds / 60 % 60);
        destination[16] = (byte)':';
        Two(destination, 17, seconds % 60);
        destination[19] = (byte)'.';
        int ms = milliseconds % 1000;
        destination[20] = (byte)('0' + ms / 100);
        Two(destination, 21, ms % 100);
        destination[23] = (byte)'Z';
        return Length;
    }

    // Two decimal digits of 0..99.
    private static void Two(Span<byte> destination, int offset, int value)
    {
        destination[offset] = (byte)('0' + value / 10);
        destination[offset + 1] = (byte)('0' + value % 10);
    }

    /// <summary>True when an ISO 8601 date-time text carries a UTC designator or an offset (the protocol requires one on read).</summary>
    internal static bool HasOffset(ReadOnlySpan<byte> text)
    {
        int t = text.IndexOfAny((byte)'T', (byte)'t');
        if (t < 0) return false;
        return text[(t + 1)..].IndexOfAny("Zz+-"u8) >= 0;
    }

    /// <summary>
    /// Parses the common form <c>YYYY-MM-DDTHH:MM:SS[.f{1,7}](Z|±HH:MM)</c> exactly as <see cref="System.Text.Json.Utf8JsonReader.TryGetDateTimeOffset"/>
    /// would. False for anything else (which may still be valid: the caller then asks the reader).
    /// </summary>
    internal static bool TryParseCommon(ReadOnlySpan<byte> t, out DateTimeOffset value)
    {
        value = default;
        if (t.Length < 20 || t[4] != (byte)'-' || t[7] != (byte)'-' || t[10] != (byte)'T' || t[13] != (byte)':' || t[16] != (byte)':') return false;
        int year = Number(t, 0, 4), month = Number(t, 5, 2), day = Number(t, 8, 2);
        int hour = Number(t, 11, 2), minute = Number(t, 14, 2), second = Number(t, 17, 2);
        if ((year | month | day | hour | minute | second) < 0) return false;
        // Years 1 and 9999 can overflow the UTC range with an offset: leave the edges to the reader.
        if (year is < 2 or > 9998 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return false;
        int p = 19;
        long ticks = 0;
        if (t[p] == (byte)'.')
        {
            int start = ++p;
            while (p < t.Length && (uint)(t[p] - '0') <= 9) ticks = ticks * 10 + (t[p++] - '0');
            int count = p - start;
            if (count is 0 or > 7) return false;
            for (int k = count; k < 7; k++) ticks *= 10;
        }
        if (p >= t.Length) return false;
        TimeSpan offset;
        if (t[p] == (byte)'Z')
        {
            offset = TimeSpan.Zero;
            p++;
        }
        else if (t[p] is (byte)'+' or (byte)'-')
        {
            if (t.Length - p != 6 || t[p + 3] != (byte)':') return false;
            int offsetHours = Number(t, p + 1, 2), offsetMinutes = Number(t, p + 4, 2);
            if (offsetHours is < 0 or > 13 || offsetMinutes is < 0 or > 59) return false;
            offset = new TimeSpan(offsetHours, offsetMinutes, 0);
            if (t[p] == (byte)'-') offset = -offset;
            p += 6;
        }
        else
        {
            return false;
        }
        if (p != t.Length) return false;
        value = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(ticks);
        return true;
    }

    // A fixed-width run of decimal digits, or -1.
    private static int Number(ReadOnlySpan<byte> t, int offset, int count)
    {
        int value = 0;
        for (int i = offset; i < offset + count; i++)
        {
            int d = t[i] - '0';
            if ((uint)d > 9) return -1;
            value = value * 10 + d;
        }
        return value;
    }
}
