using System.Globalization;

namespace Meowstik.Agent.Can;

/// <summary>
/// can-utils' log format (<c>candump -L</c>, read by <c>canplayer</c>): <c>(1436509052.249713) can0 123#DEADBEEF</c>.
/// Three hex digits are a standard id, eight an extended one; <c>123#R</c> (or <c>123#R5</c>) is a remote frame;
/// an eight-digit id with the error flag 0x20000000 is an error frame. Parsing and formatting allocate nothing.
/// </summary>
public static class CandumpFormat
{
    /// <summary>The kernel's error-frame flag in a candump id (<c>CAN_ERR_FLAG</c>).</summary>
    public const uint ErrorFlag = 0x2000_0000;

    /// <summary>The longest line <see cref="TryFormatLine"/> writes for an interface name of 16 characters.</summary>
    public const int MaxLineLength = 80;

    /// <summary>Parses one log line.</summary>
    /// <param name="line">The line, e.g. <c>(1436509052.249713) can0 123#DEADBEEF</c>.</param>
    /// <param name="frame">The frame, its timestamp in microseconds since the Unix epoch.</param>
    /// <param name="interfaceName">Where the interface name is in <paramref name="line"/>.</param>
    /// <returns>False for a malformed line or a CAN FD frame (<c>##</c>), which this classic-CAN reader does not take.</returns>
    public static bool TryParseLine(ReadOnlySpan<char> line, out CanFrame frame, out Range interfaceName)
    {
        frame = default;
        interfaceName = default;
        ReadOnlySpan<char> rest = line.Trim();
        if (rest.Length < 4 || rest[0] != '(')
        {
            return false;
        }

        int close = rest.IndexOf(')');
        if (close < 0 || !TryParseTimestamp(rest[1..close], out long micros))
        {
            return false;
        }

        int offset = line.Length - line.TrimStart().Length + close + 1;
        ReadOnlySpan<char> afterTime = rest[(close + 1)..];
        int skipped = afterTime.Length - afterTime.TrimStart().Length;
        afterTime = afterTime.TrimStart();
        int space = afterTime.IndexOfAny(' ', '\t');
        if (space <= 0)
        {
            return false;
        }

        int ifaceStart = offset + skipped;
        interfaceName = new Range(ifaceStart, ifaceStart + space);
        return TryParseFrame(afterTime[space..].Trim(), micros, out frame);
    }

    /// <summary>Parses candump's compact frame form (<c>123#DEADBEEF</c>, <c>1ABCDEF0#00</c>, <c>123#R</c>).</summary>
    /// <param name="text">The frame text.</param>
    /// <param name="timestampMicroseconds">The timestamp to give the frame.</param>
    /// <param name="frame">The frame.</param>
    /// <returns>Whether it parsed.</returns>
    public static bool TryParseFrame(ReadOnlySpan<char> text, long timestampMicroseconds, out CanFrame frame)
    {
        frame = default;
        int hash = text.IndexOf('#');
        if (hash is not 3 and not 8 || (hash + 1 < text.Length && text[hash + 1] == '#'))
        {
            return false;                               // wrong id width, or CAN FD
        }

        if (!uint.TryParse(text[..hash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint id))
        {
            return false;
        }

        CanFrameFlags flags = CanFrameFlags.None;
        if (hash == 3 && id > CanFrame.MaxStandardId)
        {
            return false;
        }

        if (hash == 8)
        {
            flags |= CanFrameFlags.Extended;
            if ((id & 0xC000_0000) != 0)
            {
                return false;                           // RTR/EFF flag bits never appear in a logged id
            }

            if ((id & ErrorFlag) != 0)
            {
                flags = CanFrameFlags.Error;
                id &= CanFrame.MaxExtendedId;
            }
            else if (id > CanFrame.MaxExtendedId)
            {
                return false;
            }
        }

        ReadOnlySpan<char> data = text[(hash + 1)..];
        if (data.Length > 0 && (data[0] is 'R' or 'r'))
        {
            int remoteLength = 0;
            if (data.Length == 2 && char.IsAsciiHexDigit(data[1]))
            {
                remoteLength = Math.Min(8, (int)Hex(data[1]));
            }
            else if (data.Length != 1)
            {
                return false;
            }

            frame = new CanFrame(id, [], flags | CanFrameFlags.Remote, timestampMicroseconds, remoteLength);
            return true;
        }

        Span<byte> bytes = stackalloc byte[8];
        int n = 0;
        for (int i = 0; i < data.Length;)
        {
            if (data[i] == '.')
            {
                i++;
                continue;
            }

            if (i + 1 >= data.Length || n == 8 || !char.IsAsciiHexDigit(data[i]) || !char.IsAsciiHexDigit(data[i + 1]))
            {
                return false;
            }

            bytes[n++] = (byte)((Hex(data[i]) << 4) | Hex(data[i + 1]));
            i += 2;
        }

        frame = new CanFrame(id, bytes[..n], flags, timestampMicroseconds);
        return true;
    }

    /// <summary>Writes a frame as a log line, e.g. <c>(1436509052.249713) can0 123#DEADBEEF</c>, without allocating.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="interfaceName">The interface name.</param>
    /// <param name="destination">Where to write (<see cref="MaxLineLength"/> is enough for names up to 16 characters).</param>
    /// <param name="written">The number of characters written.</param>
    /// <returns>False when <paramref name="destination"/> is too small.</returns>
    public static bool TryFormatLine(in CanFrame frame, ReadOnlySpan<char> interfaceName, Span<char> destination, out int written)
    {
        written = 0;
        long micros = frame.TimestampMicroseconds;
        long seconds = Math.DivRem(micros, 1_000_000, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000;
        }

        // Written piece by piece: an interpolated TryWrite allocates here.
        if (destination.Length < interfaceName.Length + 62)
        {
            return false;
        }

        destination[0] = '(';
        seconds.TryFormat(destination[1..], out int head, default, CultureInfo.InvariantCulture);
        head++;
        destination[head++] = '.';
        for (int i = 5; i >= 0; i--)
        {
            destination[head + i] = (char)('0' + (fraction % 10));
            fraction /= 10;
        }

        head += 6;
        destination[head++] = ')';
        destination[head++] = ' ';
        interfaceName.CopyTo(destination[head..]);
        head += interfaceName.Length;
        destination[head++] = ' ';

        if (!TryFormatFrame(frame, destination[head..], out int body))
        {
            return false;
        }

        written = head + body;
        return true;
    }

    /// <summary>Writes a frame in the compact form (<c>123#DEADBEEF</c>) without allocating.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="destination">Where to write (30 characters are enough).</param>
    /// <param name="written">The number of characters written.</param>
    /// <returns>False when <paramref name="destination"/> is too small.</returns>
    public static bool TryFormatFrame(in CanFrame frame, Span<char> destination, out int written)
    {
        written = 0;
        if (destination.Length < 30)
        {
            return false;
        }

        bool ok = frame.IsError
            ? (frame.Id | ErrorFlag).TryFormat(destination, out written, "X8", CultureInfo.InvariantCulture)
            : frame.IsExtended
                ? frame.Id.TryFormat(destination, out written, "X8", CultureInfo.InvariantCulture)
                : frame.Id.TryFormat(destination, out written, "X3", CultureInfo.InvariantCulture);
        if (!ok)
        {
            return false;
        }

        destination[written++] = '#';
        if (frame.IsRemote)
        {
            destination[written++] = 'R';
            if (frame.Length > 0)
            {
                destination[written++] = (char)('0' + frame.Length);
            }

            return true;
        }

        ulong data = frame.DataLittleEndian;
        for (int i = 0; i < frame.Length; i++)
        {
            byte b = (byte)(data >> (8 * i));
            destination[written++] = "0123456789ABCDEF"[b >> 4];
            destination[written++] = "0123456789ABCDEF"[b & 0xF];
        }

        return true;
    }

    /// <summary>A frame in the compact form (<c>123#DEADBEEF</c>).</summary>
    /// <param name="frame">The frame.</param>
    /// <returns>The text.</returns>
    public static string FormatFrame(in CanFrame frame)
    {
        Span<char> buffer = stackalloc char[32];
        TryFormatFrame(frame, buffer, out int n);
        return new string(buffer[..n]);
    }

    /// <summary>A frame as a log line.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="interfaceName">The interface name.</param>
    /// <returns>The line, without a line break.</returns>
    public static string FormatLine(in CanFrame frame, string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        Span<char> buffer = stackalloc char[MaxLineLength + interfaceName.Length];
        TryFormatLine(frame, interfaceName, buffer, out int n);
        return new string(buffer[..n]);
    }

    private static bool TryParseTimestamp(ReadOnlySpan<char> text, out long micros)
    {
        micros = 0;
        int dot = text.IndexOf('.');
        ReadOnlySpan<char> whole = dot < 0 ? text : text[..dot];
        if (!long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) || seconds > long.MaxValue / 1_000_000 - 1)
        {
            return false;
        }

        long fraction = 0;
        if (dot >= 0)
        {
            ReadOnlySpan<char> digits = text[(dot + 1)..];
            if (digits.Length is 0 or > 9)
            {
                return false;
            }

            for (int i = 0; i < 6; i++)
            {
                int d = 0;
                if (i < digits.Length)
                {
                    if (!char.IsAsciiDigit(digits[i]))
                    {
                        return false;
                    }

                    d = digits[i] - '0';
                }

                fraction = (fraction * 10) + d;
            }

            for (int i = 6; i < digits.Length; i++)
            {
                if (!char.IsAsciiDigit(digits[i]))
                {
                    return false;
                }
            }
        }

        micros = (seconds * 1_000_000) + fraction;
        return true;
    }

    private static uint Hex(char c) => c <= '9' ? (uint)(c - '0') : (uint)((c | 0x20) - 'a' + 10);
}
