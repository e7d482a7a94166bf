namespace Meowstik.Protocol;

/// <summary>
/// Formats timestamps like <see cref="Iso8601Timestamp.Write"/>, keeping the date-and-minute prefix of the last one:
/// a writer stamps "now" again and again, so only the seconds and milliseconds usually change. One per writer.
/// </summary>
internal sealed class TimestampCache
{
    private const int PrefixLength = 16; // 2026-01-19T12:00
    private readonly byte[] _prefix = new byte[PrefixLength];
    private long _minute = long.MinValue;

    public int Write(Span<byte> destination, DateTimeOffset value)
    {
        long ticks = value.UtcTicks;
        long minute = ticks / TimeSpan.TicksPerMinute;
        if (minute != _minute)
        {
            Iso8601Timestamp.Write(destination, value);
            destination[..PrefixLength].CopyTo(_prefix);
            _minute = minute;
            return Iso8601Timestamp.Length;
        }
        _prefix.CopyTo(destination);
        int milliseconds = (int)(ticks % TimeSpan.TicksPerMinute / TimeSpan.TicksPerMillisecond);
        int seconds = milliseconds / 1000, ms = milliseconds % 1000;
        destination[16] = (byte)':';
        destination[17] = (byte)('0' + seconds / 10);
        destination[18] = (byte)('0' + seconds % 10);
        destination[19] = (byte)'.';
        destination[20] = (byte)('0' + ms / 100);
        destination[21] = (byte)('0' + ms / 10 % 10);
        destination[22] = (byte)('0' + ms % 10);
        destination[23] = (byte)'Z';
        return Iso8601Timestamp.Length;
    }
}
