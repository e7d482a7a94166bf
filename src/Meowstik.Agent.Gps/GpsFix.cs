namespace Meowstik.Agent.Gps;

/// <summary>The kind of fix a receiver reports.</summary>
public enum GpsFixMode
{
    /// <summary>No fix: the position (if any) is not valid.</summary>
    None = 0,

    /// <summary>A 2D fix: latitude and longitude, no altitude.</summary>
    TwoD = 2,

    /// <summary>A 3D fix: latitude, longitude and altitude.</summary>
    ThreeD = 3,
}

/// <summary>One position report from a GPS source (gpsd TPV, or one NMEA epoch of GGA/RMC/VTG).</summary>
public sealed class GpsFix
{
    /// <summary>Metres per second in one mile per hour (1609.344 m / 3600 s).</summary>
    public const double MetersPerSecondPerMph = 0.44704;

    /// <summary>Metres per second in one knot (1852 m / 3600 s).</summary>
    public const double MetersPerSecondPerKnot = 1852.0 / 3600.0;

    /// <summary>None, 2D or 3D.</summary>
    public GpsFixMode Mode { get; init; }

    /// <summary>Latitude in degrees, north positive (WGS 84).</summary>
    public double? Latitude { get; init; }

    /// <summary>Longitude in degrees, east positive (WGS 84).</summary>
    public double? Longitude { get; init; }

    /// <summary>Altitude above mean sea level in metres.</summary>
    public double? AltitudeMeters { get; init; }

    /// <summary>Speed over ground in metres per second.</summary>
    public double? SpeedMetersPerSecond { get; init; }

    /// <summary>Speed over ground in miles per hour.</summary>
    public double? SpeedMilesPerHour => SpeedMetersPerSecond / MetersPerSecondPerMph;

    /// <summary>Course over ground in degrees from true north.</summary>
    public double? HeadingDegrees { get; init; }

    /// <summary>
    /// Estimated horizontal error in metres: gpsd's <c>eph</c> (or the combined <c>epx</c>/<c>epy</c>); for NMEA, the HDOP
    /// times 5 m (a typical user equivalent range error).
    /// </summary>
    public double? HorizontalAccuracyMeters { get; init; }

    /// <summary>Satellites used in the fix.</summary>
    public int? Satellites { get; init; }

    /// <summary>The receiver's UTC time of the fix.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Whether the fix holds a valid position (a 2D or 3D fix with latitude and longitude).</summary>
    public bool HasPosition => Mode != GpsFixMode.None && Latitude is not null && Longitude is not null;
}
