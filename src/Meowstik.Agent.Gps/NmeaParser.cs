using System.Buffers.Text;
using System.Text;

namespace Meowstik.Agent.Gps;

/// <summary>
/// Parses NMEA 0183 sentences (GGA, RMC, VTG) from ASCII bytes without allocating: the checksum is verified first, then
/// each comma-separated field is read in place.
/// </summary>
public static class NmeaParser
{
    /// <summary>The longest line accepted (the standard's limit is 82 characters; some receivers exceed it).</summary>
    public const int MaxSentenceLength = 256;

    /// <summary>Parses one sentence, e.g. <c>$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47</c>.</summary>
    /// <param name="line">The sentence; a trailing CR/LF and surrounding white space are ignored.</param>
    /// <param name="sentence">The parsed sentence when the status is <see cref="NmeaParseStatus.Ok"/>.</param>
    /// <returns>Whether it parsed, or why not.</returns>
    public static NmeaParseStatus TryParse(ReadOnlySpan<char> line, out NmeaSentence sentence)
    {
        sentence = default;
        line = line.Trim();
        if (line.Length > MaxSentenceLength || Ascii.IsValid(line) is false)
        {
            return NmeaParseStatus.Malformed;
        }

        Span<byte> bytes = stackalloc byte[line.Length];
        Ascii.FromUtf16(line, bytes, out int written);
        return TryParse(bytes[..written], out sentence);
    }

    /// <summary>Parses one sentence from ASCII bytes.</summary>
    /// <param name="line">The sentence; a trailing CR/LF and surrounding white space are ignored.</param>
    /// <param name="sentence">The parsed sentence when the status is <see cref="NmeaParseStatus.Ok"/>.</param>
    /// <returns>Whether it parsed, or why not.</returns>
    public static NmeaParseStatus TryParse(ReadOnlySpan<byte> line, out NmeaSentence sentence)
    {
        sentence = default;
        line = line.Trim(" \t\r\n"u8);
        if (line.Length < 7 || line.Length > MaxSentenceLength || line[0] != (byte)'$')
        {
            return NmeaParseStatus.Malformed;
        }

        int star = line.LastIndexOf((byte)'*');
        if (star < 0)
        {
            return NmeaParseStatus.MissingChecksum;
        }

        if (star != line.Length - 3 || !TryHex(line[star + 1], out int hi) || !TryHex(line[star + 2], out int lo))
        {
            return NmeaParseStatus.Malformed;
        }

        ReadOnlySpan<byte> body = line[1..star];
        byte sum = 0;
        foreach (byte b in body)
        {
            sum ^= b;
        }

        if (sum != (hi << 4 | lo))
        {
            return NmeaParseStatus.BadChecksum;
        }

        int comma = body.IndexOf((byte)',');
        ReadOnlySpan<byte> address = comma < 0 ? body : body[..comma];
        if (address.Length != 5)
        {
            return address.Length is >= 2 and <= 6 ? NmeaParseStatus.Unsupported : NmeaParseStatus.Malformed;
        }

        NmeaTalker talker = Talker(address[..2]);
        ReadOnlySpan<byte> kind = address[2..];
        var fields = new Fields(comma < 0 ? default : body[(comma + 1)..]);
        bool ok;
        if (kind.SequenceEqual("GGA"u8))
        {
            ok = ParseGga(ref fields, talker, out sentence);
        }
        else if (kind.SequenceEqual("RMC"u8))
        {
            ok = ParseRmc(ref fields, talker, out sentence);
        }
        else if (kind.SequenceEqual("VTG"u8))
        {
            ok = ParseVtg(ref fields, talker, out sentence);
        }
        else
        {
            return NmeaParseStatus.Unsupported;
        }

        return ok ? NmeaParseStatus.Ok : NmeaParseStatus.Malformed;
    }

    // $--GGA,hhmmss.ss,llll.ll,a,yyyyy.yy,a,q,nn,x.x,x.x,M,x.x,M,x.x,xxxx
    private static bool ParseGga(ref Fields f, NmeaTalker talker, out NmeaSentence s)
    {
        s = default;
        if (!TryTime(f.Next(), out TimeOnly? time) || !TryLatLng(f.Next(), f.Next(), f.Next(), f.Next(), out double? lat, out double? lng)
            || !TryInt(f.Next(), out int? quality) || !TryInt(f.Next(), out int? satellites) || !TryDouble(f.Next(), out double? hdop)
            || !TryDouble(f.Next(), out double? altitude))
        {
            return false;
        }

        s = new NmeaSentence
        {
            Type = NmeaSentenceType.Gga, Talker = talker, Time = time, Latitude = lat, Longitude = lng, Quality = quality,
            Satellites = satellites, Hdop = hdop, AltitudeMeters = altitude,
        };
        return true;
    }

    // $--RMC,hhmmss.ss,A,llll.ll,a,yyyyy.yy,a,x.x,x.x,ddmmyy,x.x,a[,m[,s]]
    private static bool ParseRmc(ref Fields f, NmeaTalker talker, out NmeaSentence s)
    {
        s = default;
        if (!TryTime(f.Next(), out TimeOnly? time))
        {
            return false;
        }

        ReadOnlySpan<byte> status = f.Next();
        if (!TryLatLng(f.Next(), f.Next(), f.Next(), f.Next(), out double? lat, out double? lng)
            || !TryDouble(f.Next(), out double? knots) || !TryDouble(f.Next(), out double? course) || !TryDate(f.Next(), out DateOnly? date))
        {
            return false;
        }

        f.Next(); // magnetic variation
        f.Next(); // its direction
        ReadOnlySpan<byte> mode = f.Next(); // NMEA 2.3+: A autonomous, D differential, E estimated, N not valid
        bool? valid = status.Length == 0 ? null : status[0] == (byte)'A';
        if (mode.Length == 1 && mode[0] == (byte)'N')
        {
            valid = false;
        }

        s = new NmeaSentence
        {
            Type = NmeaSentenceType.Rmc, Talker = talker, Time = time, Date = date, Valid = valid, Latitude = lat, Longitude = lng,
            SpeedKnots = knots, CourseDegrees = course,
        };
        return true;
    }

    // $--VTG,x.x,T,x.x,M,x.x,N,x.x,K[,m]
    private static bool ParseVtg(ref Fields f, NmeaTalker talker, out NmeaSentence s)
    {
        s = default;
        if (!TryDouble(f.Next(), out double? course))
        {
            return false;
        }

        f.Next(); // T
        f.Next(); // magnetic course
        f.Next(); // M
        if (!TryDouble(f.Next(), out double? knots))
        {
            return false;
        }

        f.Next(); // N
        if (!TryDouble(f.Next(), out double? kmh))
        {
            return false;
        }

        s = new NmeaSentence
        {
            Type = NmeaSentenceType.Vtg, Talker = talker, CourseDegrees = course,
            SpeedKnots = knots ?? (kmh is { } k ? k / 3.6 / GpsFix.MetersPerSecondPerKnot : null),
        };
        return true;
    }

    private static NmeaTalker Talker(ReadOnlySpan<byte> id) => (id[0], id[1]) switch
    {
        ((byte)'G', (byte)'P') => NmeaTalker.GP,
        ((byte)'G', (byte)'N') => NmeaTalker.GN,
        ((byte)'G', (byte)'L') => NmeaTalker.GL,
        ((byte)'G', (byte)'A') => NmeaTalker.GA,
        ((byte)'G', (byte)'B') or ((byte)'B', (byte)'D') => NmeaTalker.GB,
        _ => NmeaTalker.Other,
    };

    // Latitude ddmm.mmmm, longitude dddmm.mmmm: degrees, then decimal minutes. S and W are negative.
    private static bool TryLatLng(ReadOnlySpan<byte> lat, ReadOnlySpan<byte> ns, ReadOnlySpan<byte> lng, ReadOnlySpan<byte> ew, out double? latitude, out double? longitude)
    {
        latitude = longitude = null;
        if (lat.IsEmpty && lng.IsEmpty)
        {
            return true;
        }

        if (!TryDegreesMinutes(lat, 2, out double la) || !TryDegreesMinutes(lng, 3, out double lo) || ns.Length != 1 || ew.Length != 1)
        {
            return false;
        }

        if (la > 90 || lo > 180 || ns[0] is not ((byte)'N' or (byte)'S') || ew[0] is not ((byte)'E' or (byte)'W'))
        {
            return false;
        }

        latitude = ns[0] == (byte)'S' ? -la : la;
        longitude = ew[0] == (byte)'W' ? -lo : lo;
        return true;
    }

    private static bool TryDegreesMinutes(ReadOnlySpan<byte> field, int degreeDigits, out double degrees)
    {
        degrees = 0;
        int dot = field.IndexOf((byte)'.');
        int minutesStart = (dot < 0 ? field.Length : dot) - 2;
        if (minutesStart < 1 || minutesStart > degreeDigits
            || !Utf8Parser.TryParse(field[..minutesStart], out int whole, out int used) || used != minutesStart
            || !Utf8Parser.TryParse(field[minutesStart..], out double minutes, out used) || used != field.Length - minutesStart || minutes >= 60)
        {
            return false;
        }

        degrees = whole + minutes / 60.0;
        return true;
    }

    private static bool TryTime(ReadOnlySpan<byte> field, out TimeOnly? time)
    {
        time = null;
        if (field.IsEmpty)
        {
            return true;
        }

        if (field.Length < 6 || !TwoDigits(field, 0, out int h) || !TwoDigits(field, 2, out int m)
            || !Utf8Parser.TryParse(field[4..], out double seconds, out int used) || used != field.Length - 4 || h > 23 || m > 59 || seconds >= 61)
        {
            return false;
        }

        long ticks = (h * 3600L + m * 60L) * TimeSpan.TicksPerSecond + (long)Math.Round(Math.Min(seconds, 59.999) * TimeSpan.TicksPerSecond);
        time = new TimeOnly(ticks);
        return true;
    }

    private static bool TryDate(ReadOnlySpan<byte> field, out DateOnly? date)
    {
        date = null;
        if (field.IsEmpty)
        {
            return true;
        }

        if (field.Length != 6 || !TwoDigits(field, 0, out int d) || !TwoDigits(field, 2, out int m) || !TwoDigits(field, 4, out int y)
            || m is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(2000 + y, m))
        {
            return false;
        }

        // Two-digit years: 80-99 are 1980-1999 (GPS began in 1980), 00-79 are 2000-2079.
        date = new DateOnly(y >= 80 ? 1900 + y : 2000 + y, m, d);
        return true;
    }

    private static bool TwoDigits(ReadOnlySpan<byte> s, int at, out int value)
    {
        value = 0;
        if (!char.IsAsciiDigit((char)s[at]) || !char.IsAsciiDigit((char)s[at + 1]))
        {
            return false;
        }

        value = (s[at] - '0') * 10 + (s[at + 1] - '0');
        return true;
    }

    private static bool TryInt(ReadOnlySpan<byte> field, out int? value)
    {
        value = null;
        if (field.IsEmpty)
        {
            return true;
        }

        if (!Utf8Parser.TryParse(field, out int v, out int used) || used != field.Length || v < 0)
        {
            return false;
        }

        value = v;
        return true;
    }

    private static bool TryDouble(ReadOnlySpan<byte> field, out double? value)
    {
        value = null;
        if (field.IsEmpty)
        {
            return true;
        }

        if (!Utf8Parser.TryParse(field, out double v, out int used) || used != field.Length || !double.IsFinite(v))
        {
            return false;
        }

        value = v;
        return true;
    }

    private static bool TryHex(byte c, out int value)
    {
        value = c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            _ => -1,
        };
        return value >= 0;
    }

    /// <summary>Walks the comma-separated fields of a sentence body; past the end every field is empty.</summary>
    private ref struct Fields(ReadOnlySpan<byte> rest)
    {
        private ReadOnlySpan<byte> _rest = rest;
        private bool _done = rest.IsEmpty;

        public ReadOnlySpan<byte> Next()
        {
            if (_done)
            {
                return default;
            }

            int comma = _rest.IndexOf((byte)',');
            if (comma < 0)
            {
                ReadOnlySpan<byte> last = _rest;
                _done = true;
                return last;
            }

            ReadOnlySpan<byte> field = _rest[..comma];
            _rest = _rest[(comma + 1)..];
            return field;
        }
    }
}
