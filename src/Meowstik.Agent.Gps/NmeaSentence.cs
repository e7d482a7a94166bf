namespace Meowstik.Agent.Gps;

/// <summary>The NMEA 0183 sentences the reader understands.</summary>
public enum NmeaSentenceType
{
    /// <summary>Another sentence (GSA, GSV, …): checksum valid, content ignored.</summary>
    Other = 0,

    /// <summary>GGA: time, position, fix quality, satellites, HDOP, altitude.</summary>
    Gga,

    /// <summary>RMC: time, status, position, speed, course, date.</summary>
    Rmc,

    /// <summary>VTG: course and speed over ground.</summary>
    Vtg,
}

/// <summary>The talker (the constellation or combination) that sent a sentence.</summary>
public enum NmeaTalker
{
    /// <summary>Any other talker id.</summary>
    Other = 0,

    /// <summary>GP: GPS.</summary>
    GP,

    /// <summary>GL: GLONASS.</summary>
    GL,

    /// <summary>GA: Galileo.</summary>
    GA,

    /// <summary>GB or BD: BeiDou.</summary>
    GB,

    /// <summary>GN: a combined multi-constellation solution.</summary>
    GN,
}

/// <summary>The result of <see cref="NmeaParser.TryParse(ReadOnlySpan{byte}, out NmeaSentence)"/>.</summary>
public enum NmeaParseStatus
{
    /// <summary>A GGA, RMC or VTG sentence with a valid checksum.</summary>
    Ok = 0,

    /// <summary>A well-formed sentence with a valid checksum that is not GGA, RMC or VTG.</summary>
    Unsupported,

    /// <summary>The <c>*hh</c> checksum does not match the XOR of the characters between <c>$</c> and <c>*</c>.</summary>
    BadChecksum,

    /// <summary>No <c>*hh</c> checksum: refused, since a serial line can corrupt any character.</summary>
    MissingChecksum,

    /// <summary>Not an NMEA sentence, or a field does not parse.</summary>
    Malformed,
}

/// <summary>One parsed GGA, RMC or VTG sentence; fields a sentence does not carry, or left empty, are null.</summary>
public readonly record struct NmeaSentence
{
    /// <summary>GGA, RMC or VTG.</summary>
    public NmeaSentenceType Type { get; init; }

    /// <summary>The talker id (GP, GN, GL, …).</summary>
    public NmeaTalker Talker { get; init; }

    /// <summary>UTC time of the fix (GGA, RMC).</summary>
    public TimeOnly? Time { get; init; }

    /// <summary>UTC date (RMC).</summary>
    public DateOnly? Date { get; init; }

    /// <summary>Latitude in degrees, north positive.</summary>
    public double? Latitude { get; init; }

    /// <summary>Longitude in degrees, east positive.</summary>
    public double? Longitude { get; init; }

    /// <summary>GGA fix quality: 0 invalid, 1 GPS, 2 DGPS, 4 RTK, 5 float RTK, 6 estimated, …</summary>
    public int? Quality { get; init; }

    /// <summary>RMC status: true for <c>A</c> (valid), false for <c>V</c> or a mode indicator <c>N</c>.</summary>
    public bool? Valid { get; init; }

    /// <summary>Satellites in use (GGA).</summary>
    public int? Satellites { get; init; }

    /// <summary>Horizontal dilution of precision (GGA).</summary>
    public double? Hdop { get; init; }

    /// <summary>Altitude above mean sea level in metres (GGA).</summary>
    public double? AltitudeMeters { get; init; }

    /// <summary>Speed over ground in knots (RMC, VTG).</summary>
    public double? SpeedKnots { get; init; }

    /// <summary>Course over ground in degrees true (RMC, VTG).</summary>
    public double? CourseDegrees { get; init; }
}
