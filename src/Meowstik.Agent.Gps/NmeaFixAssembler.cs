namespace Meowstik.Agent.Gps;

/// <summary>
/// Combines the sentences of one NMEA epoch (the GGA, RMC and VTG a receiver sends for the same second) into one
/// <see cref="GpsFix"/>. A fix is returned as soon as an epoch has both GGA and RMC, or when the next epoch starts, or on
/// <see cref="Flush"/>. Fix mode: none when GGA quality is 0 or RMC is not valid (<c>V</c>/<c>N</c>) or no position;
/// 3D with a GGA altitude, else 2D.
/// </summary>
public sealed class NmeaFixAssembler
{
    /// <summary>Metres of horizontal error per unit of HDOP (a typical user equivalent range error).</summary>
    public const double UereMeters = 5.0;

    private readonly TimeProvider _time;
    private bool _open;
    private bool _emitted;
    private bool _hasGga;
    private bool _hasRmc;
    private TimeOnly? _epoch;
    private DateOnly? _lastDate;
    private NmeaSentence _gga;
    private NmeaSentence _rmc;
    private double? _vtgKnots;
    private double? _vtgCourse;

    /// <summary>Creates an assembler.</summary>
    /// <param name="timeProvider">Supplies the UTC date when no RMC has given one yet; the system clock by default.</param>
    public NmeaFixAssembler(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Adds a parsed sentence.</summary>
    /// <param name="sentence">A GGA, RMC or VTG sentence.</param>
    /// <returns>A completed fix, or null when the epoch is still open.</returns>
    public GpsFix? Add(in NmeaSentence sentence)
    {
        if (sentence.Type == NmeaSentenceType.Vtg)
        {
            _open = true;
            _vtgKnots = sentence.SpeedKnots ?? _vtgKnots;
            _vtgCourse = sentence.CourseDegrees ?? _vtgCourse;
            return null;
        }

        if (sentence.Type is not (NmeaSentenceType.Gga or NmeaSentenceType.Rmc))
        {
            return null;
        }

        GpsFix? previous = null;
        if (_open && (_hasGga || _hasRmc) && sentence.Time != _epoch)
        {
            previous = _emitted ? null : Build();
            Reset();
        }

        _open = true;
        _epoch = sentence.Time;
        if (sentence.Type == NmeaSentenceType.Gga)
        {
            _gga = sentence;
            _hasGga = true;
        }
        else
        {
            _rmc = sentence;
            _hasRmc = true;
            _lastDate = sentence.Date ?? _lastDate;
        }

        if (previous is null && _hasGga && _hasRmc && !_emitted)
        {
            _emitted = true;
            return Build();
        }

        return previous;
    }

    /// <summary>Returns the open epoch's fix, if it has a GGA or RMC not yet returned (at the end of a log).</summary>
    /// <returns>The fix, or null.</returns>
    public GpsFix? Flush()
    {
        GpsFix? fix = _open && !_emitted && (_hasGga || _hasRmc) ? Build() : null;
        Reset();
        return fix;
    }

    private void Reset()
    {
        _open = _emitted = _hasGga = _hasRmc = false;
        _epoch = null;
        _gga = _rmc = default;
        _vtgKnots = _vtgCourse = null;
    }

    private GpsFix Build()
    {
        double? lat = _hasGga ? _gga.Latitude : _rmc.Latitude;
        double? lng = _hasGga ? _gga.Longitude : _rmc.Longitude;
        lat ??= _rmc.Latitude;
        lng ??= _rmc.Longitude;
        bool invalid = (_hasGga && _gga.Quality is 0 or null) || (_hasRmc && _rmc.Valid != true) || lat is null || lng is null;
        double? altitude = _hasGga ? _gga.AltitudeMeters : null;
        GpsFixMode mode = invalid ? GpsFixMode.None : altitude is not null ? GpsFixMode.ThreeD : GpsFixMode.TwoD;
        double? knots = _rmc.SpeedKnots ?? _vtgKnots;
        DateTimeOffset? time = null;
        if (_epoch is { } t)
        {
            DateOnly date = _rmc.Date ?? _lastDate ?? DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
            time = new DateTimeOffset(date.ToDateTime(t), TimeSpan.Zero);
        }

        return new GpsFix
        {
            Mode = mode,
            Latitude = mode == GpsFixMode.None ? null : lat,
            Longitude = mode == GpsFixMode.None ? null : lng,
            AltitudeMeters = mode == GpsFixMode.ThreeD ? altitude : null,
            SpeedMetersPerSecond = mode == GpsFixMode.None ? null : knots * GpsFix.MetersPerSecondPerKnot,
            HeadingDegrees = mode == GpsFixMode.None ? null : _rmc.CourseDegrees ?? _vtgCourse,
            HorizontalAccuracyMeters = mode == GpsFixMode.None ? null : _gga.Hdop * UereMeters,
            Satellites = _hasGga ? _gga.Satellites : null,
            Time = time,
        };
    }
}
