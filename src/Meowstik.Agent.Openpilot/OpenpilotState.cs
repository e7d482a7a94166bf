using System.Text.Json;

namespace Meowstik.Agent.Openpilot;

/// <summary>
/// The latest combined state read from openpilot; a property is null when its service has not published within
/// <see cref="OpenpilotOptions.StaleAfter"/> (unavailable). Immutable: each read of <see cref="OpenpilotCapability.Latest"/>
/// is a new snapshot.
/// </summary>
public sealed record OpenpilotState
{
    /// <summary>Meters per second in a mile per hour.</summary>
    public const double MetersPerSecondPerMph = 0.44704;

    /// <summary>When the snapshot was taken.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>carState.vEgo, m/s.</summary>
    public double? SpeedMetersPerSecond { get; init; }

    /// <summary>carState.vEgo in mph.</summary>
    public double? SpeedMph => SpeedMetersPerSecond / MetersPerSecondPerMph;

    /// <summary>carState's Event.valid (false: openpilot flagged its inputs as invalid).</summary>
    public bool? CarStateValid { get; init; }

    /// <summary>carState.cruiseState.enabled.</summary>
    public bool? CruiseEnabled { get; init; }

    /// <summary>carState.cruiseState.available.</summary>
    public bool? CruiseAvailable { get; init; }

    /// <summary>carState.cruiseState.speed, m/s.</summary>
    public double? CruiseSpeedMetersPerSecond { get; init; }

    /// <summary>selfdriveState.enabled (controlsState on older builds): openpilot is engaged.</summary>
    public bool? Engaged { get; init; }

    /// <summary>selfdriveState.active: openpilot is actuating (engaged and not overridden).</summary>
    public bool? Active { get; init; }

    /// <summary>selfdriveState.state: disabled, preEnabled, enabled, softDisabling, overriding.</summary>
    public string? ControlState { get; init; }

    /// <summary>The alert's first line, or null when none.</summary>
    public string? AlertText1 { get; init; }

    /// <summary>The alert's second line, or null when none.</summary>
    public string? AlertText2 { get; init; }

    /// <summary>Which service engagement came from: <c>selfdriveState</c> or <c>controlsState</c>.</summary>
    public string? EngagementService { get; init; }

    /// <summary><c>alert</c>, <c>distracted</c> or <c>unknown</c> (no face, or driverMonitoringState unavailable).</summary>
    public string DriverAttention { get; init; } = "unknown";

    /// <summary>v2 driver monitoring alert level (<c>none</c>, <c>one</c>, <c>two</c>, <c>three</c>); null for the old layout.</summary>
    public string? DriverAlertLevel { get; init; }

    /// <summary>The driver's awareness, 0..1.</summary>
    public double? DriverAwareness { get; init; }

    /// <summary>GPS latitude, degrees (only with a fix).</summary>
    public double? Latitude { get; init; }

    /// <summary>GPS longitude, degrees (only with a fix).</summary>
    public double? Longitude { get; init; }

    /// <summary>GPS speed, m/s.</summary>
    public double? GpsSpeedMetersPerSecond { get; init; }

    /// <summary>GPS bearing, degrees.</summary>
    public double? GpsBearingDegrees { get; init; }

    /// <summary>GPS horizontal accuracy, meters.</summary>
    public double? GpsAccuracyMeters { get; init; }

    /// <summary>Whether the GNSS has a fix; null when no GPS service is available.</summary>
    public bool? GpsHasFix { get; init; }

    /// <summary>The fix's time.</summary>
    public DateTimeOffset? GpsTime { get; init; }

    /// <summary>Which service the GPS came from: <c>gpsLocationExternal</c> or <c>gpsLocation</c>.</summary>
    public string? GpsService { get; init; }

    /// <summary>Whether any service is available.</summary>
    public bool IsAvailable => SpeedMetersPerSecond is not null || Engaged is not null || GpsHasFix is not null || DriverAttention != "unknown";

    /// <summary>Writes the state's properties (snake_case) into an open JSON object.</summary>
    /// <param name="w">The writer, inside an object.</param>
    public void WriteTo(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        Number(w, "speed_mps", SpeedMetersPerSecond, 3);
        Number(w, "speed_mph", SpeedMph, 2);
        Bool(w, "car_state_valid", CarStateValid);
        Bool(w, "cruise_enabled", CruiseEnabled);
        Bool(w, "cruise_available", CruiseAvailable);
        Number(w, "cruise_speed_mps", CruiseSpeedMetersPerSecond, 3);
        Number(w, "cruise_speed_mph", CruiseSpeedMetersPerSecond / MetersPerSecondPerMph, 2);
        Bool(w, "engaged", Engaged);
        Bool(w, "active", Active);
        Text(w, "state", ControlState);
        Text(w, "alert_text1", AlertText1);
        Text(w, "alert_text2", AlertText2);
        w.WriteString("driver_attention", DriverAttention);
        Text(w, "driver_alert_level", DriverAlertLevel);
        Number(w, "driver_awareness", DriverAwareness, 3);
        w.WriteStartObject("gps");
        Bool(w, "fix", GpsHasFix);
        Number(w, "lat", Latitude, 7);
        Number(w, "lng", Longitude, 7);
        Number(w, "speed_mps", GpsSpeedMetersPerSecond, 3);
        Number(w, "heading", GpsBearingDegrees, 2);
        Number(w, "accuracy_m", GpsAccuracyMeters, 2);
        Text(w, "time", GpsTime?.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        Text(w, "service", GpsService);
        w.WriteEndObject();
        w.WriteString("at", At.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void Number(Utf8JsonWriter w, string name, double? value, int digits)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, Math.Round(v, digits));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Bool(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v)
        {
            w.WriteBoolean(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Text(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}

/// <summary>Keeps the newest reading of each service and builds <see cref="OpenpilotState"/> snapshots.</summary>
internal sealed class OpenpilotStateStore(TimeSpan staleAfter)
{
    private readonly Lock _lock = new();
    private readonly TextCache _text1 = new();
    private readonly TextCache _text2 = new();
    private (CarStateReading Reading, bool Valid, DateTimeOffset At)? _car;
    private (OpenpilotControlState State, bool Enabled, bool Active, DateTimeOffset At)? _selfdrive;
    private (OpenpilotControlState State, bool Enabled, bool Active, DateTimeOffset At)? _controls;
    private string? _controlsText1;
    private string? _controlsText2;
    private (DriverMonitoringReading Reading, DateTimeOffset At)? _driver;
    private (GpsLocationReading Reading, DateTimeOffset At)? _gpsExternal;
    private (GpsLocationReading Reading, DateTimeOffset At)? _gps;

    /// <summary>Decodes one message and keeps what it says. Unknown tags are ignored (<see cref="OpenpilotEventKind.Unknown"/>).</summary>
    public CapnpError Apply(ReadOnlySpan<byte> message, DateTimeOffset now, out OpenpilotEventKind kind)
    {
        kind = OpenpilotEventKind.Unknown;
        CapnpError error = OpenpilotEvent.TryRead(message, out OpenpilotEvent e);
        if (error != CapnpError.None)
        {
            return error;
        }

        kind = e.Kind;
        switch (kind)
        {
            case OpenpilotEventKind.CarState:
                if ((error = e.TryReadCarState(out CarStateReading car)) == CapnpError.None)
                {
                    lock (_lock)
                    {
                        _car = (car, e.Valid, now);
                    }
                }

                break;
            case OpenpilotEventKind.SelfdriveState:
            case OpenpilotEventKind.ControlsState:
                if ((error = e.TryReadSelfdrive(out OpenpilotControlState state, out bool enabled, out bool active, out ReadOnlySpan<byte> t1, out ReadOnlySpan<byte> t2)) == CapnpError.None)
                {
                    lock (_lock)
                    {
                        if (kind == OpenpilotEventKind.SelfdriveState)
                        {
                            _selfdrive = (state, enabled, active, now);
                            _text1.Set(t1);
                            _text2.Set(t2);
                        }
                        else
                        {
                            _controls = (state, enabled, active, now);
                            _controlsText1 = OpenpilotEvent.Text(t1);
                            _controlsText2 = OpenpilotEvent.Text(t2);
                        }
                    }
                }

                break;
            case OpenpilotEventKind.DriverMonitoringState:
            case OpenpilotEventKind.DriverMonitoringStateLegacy:
                if ((error = e.TryReadDriverMonitoring(out DriverMonitoringReading dm)) == CapnpError.None)
                {
                    lock (_lock)
                    {
                        _driver = (dm, now);
                    }
                }

                break;
            case OpenpilotEventKind.GpsLocationExternal:
            case OpenpilotEventKind.GpsLocation:
                if ((error = e.TryReadGpsLocation(out GpsLocationReading gps)) == CapnpError.None)
                {
                    lock (_lock)
                    {
                        if (kind == OpenpilotEventKind.GpsLocationExternal)
                        {
                            _gpsExternal = (gps, now);
                        }
                        else
                        {
                            _gps = (gps, now);
                        }
                    }
                }

                break;
        }

        return error;
    }

    public OpenpilotState Snapshot(DateTimeOffset now)
    {
        lock (_lock)
        {
            bool Fresh(DateTimeOffset at) => now - at <= staleAfter;
            var state = new OpenpilotState { At = now };
            if (_car is { } car && Fresh(car.At))
            {
                state = state with
                {
                    SpeedMetersPerSecond = car.Reading.VEgo,
                    CarStateValid = car.Valid,
                    CruiseEnabled = car.Reading.CruiseEnabled,
                    CruiseAvailable = car.Reading.CruiseAvailable,
                    CruiseSpeedMetersPerSecond = car.Reading.CruiseSpeed,
                };
            }

            // selfdriveState wins; controlsState is the fallback for builds that predate it (its fields are deprecated since).
            if (_selfdrive is { } sd && Fresh(sd.At))
            {
                state = state with
                {
                    Engaged = sd.Enabled, Active = sd.Active, ControlState = OpenpilotEvent.StateName(sd.State),
                    AlertText1 = _text1.Value, AlertText2 = _text2.Value, EngagementService = "selfdriveState",
                };
            }
            else if (_controls is { } cs && Fresh(cs.At))
            {
                state = state with
                {
                    Engaged = cs.Enabled, Active = cs.Active, ControlState = OpenpilotEvent.StateName(cs.State),
                    AlertText1 = _controlsText1, AlertText2 = _controlsText2, EngagementService = "controlsState",
                };
            }

            if (_driver is { } dm && Fresh(dm.At))
            {
                state = state with
                {
                    DriverAttention = dm.Reading.Attention,
                    DriverAlertLevel = dm.Reading.Legacy ? null : OpenpilotEvent.AlertLevelName(dm.Reading.AlertLevel),
                    DriverAwareness = Math.Round(dm.Reading.AwarenessStatus, 3),
                };
            }

            // The external receiver wins unless only the device's own GNSS has a fix.
            bool extFresh = _gpsExternal is { } ext && Fresh(ext.At);
            bool ownFresh = _gps is { } own && Fresh(own.At);
            (GpsLocationReading Reading, DateTimeOffset At)? gps = null;
            string? gpsService = null;
            if (extFresh && (_gpsExternal!.Value.Reading.HasFix || !ownFresh || !_gps!.Value.Reading.HasFix))
            {
                (gps, gpsService) = (_gpsExternal, "gpsLocationExternal");
            }
            else if (ownFresh)
            {
                (gps, gpsService) = (_gps, "gpsLocation");
            }

            if (gps is { } g)
            {
                bool fix = g.Reading.HasFix;
                state = state with
                {
                    GpsHasFix = fix,
                    GpsService = gpsService,
                    Latitude = fix ? g.Reading.Latitude : null,
                    Longitude = fix ? g.Reading.Longitude : null,
                    GpsSpeedMetersPerSecond = fix ? g.Reading.Speed : null,
                    GpsBearingDegrees = fix ? g.Reading.BearingDeg : null,
                    GpsAccuracyMeters = fix ? g.Reading.HorizontalAccuracy : null,
                    GpsTime = fix && g.Reading.UnixTimestampMillis > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(g.Reading.UnixTimestampMillis) : null,
                };
            }

            return state;
        }
    }

    /// <summary>The last alert text as a string, allocated only when its bytes change.</summary>
    private sealed class TextCache
    {
        private byte[] _bytes = [];
        private int _length;

        public string? Value { get; private set; }

        public void Set(ReadOnlySpan<byte> utf8)
        {
            if (utf8.SequenceEqual(_bytes.AsSpan(0, _length)))
            {
                return;
            }

            if (_bytes.Length < utf8.Length)
            {
                _bytes = new byte[Math.Max(64, utf8.Length)];
            }

            utf8.CopyTo(_bytes);
            _length = utf8.Length;
            Value = OpenpilotEvent.Text(utf8);
        }
    }
}
