namespace Meowstik.Agent.Gps;

/// <summary>Which receiver the plugin reads.</summary>
public enum GpsSourceKind
{
    /// <summary>gpsd's JSON socket (<see cref="GpsOptions.GpsdHost"/>:<see cref="GpsOptions.GpsdPort"/>).</summary>
    Gpsd = 0,

    /// <summary>An NMEA receiver on a serial port (<see cref="GpsOptions.SerialPort"/>, <see cref="GpsOptions.BaudRate"/>).</summary>
    Serial,

    /// <summary>An NMEA log file replayed (<see cref="GpsOptions.NmeaFile"/>), for tests and demos.</summary>
    File,
}

/// <summary>The GPS plugin's options, bound from <c>Meowstik:Gps</c> (<see cref="SectionName"/>).</summary>
public sealed class GpsOptions
{
    /// <summary>The configuration section: <c>Meowstik:Gps</c>.</summary>
    public const string SectionName = "Meowstik:Gps";

    /// <summary>Where fixes come from. Default <see cref="GpsSourceKind.Gpsd"/>.</summary>
    public GpsSourceKind Source { get; set; } = GpsSourceKind.Gpsd;

    /// <summary>gpsd's host. Default <c>127.0.0.1</c>.</summary>
    public string GpsdHost { get; set; } = "127.0.0.1";

    /// <summary>gpsd's port. Default 2947.</summary>
    public int GpsdPort { get; set; } = GpsdSource.DefaultPort;

    /// <summary>The serial port of an NMEA receiver, e.g. <c>/dev/ttyACM0</c> (required for <see cref="GpsSourceKind.Serial"/>).</summary>
    public string? SerialPort { get; set; }

    /// <summary>The serial port's baud rate. Default 9600.</summary>
    public int BaudRate { get; set; } = 9600;

    /// <summary>The NMEA log to replay (required for <see cref="GpsSourceKind.File"/>).</summary>
    public string? NmeaFile { get; set; }

    /// <summary>The pause between replayed fixes. Default 1 s (a 1 Hz receiver); zero replays as fast as possible.</summary>
    public TimeSpan FileFixInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Replay the file again from the start at its end. Default true.</summary>
    public bool FileLoop { get; set; } = true;

    /// <summary>The first reconnect delay for gpsd or a serial port (doubled each attempt, with jitter). Default 1 s.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnect delay. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The fastest <c>gps.track</c> stream, in fixes per second. Default 1.</summary>
    public double TrackMaxRateHz { get; set; } = 1;

    /// <summary>How many requesters may track at once. Default 8.</summary>
    public int MaxTrackers { get; set; } = 8;

    /// <summary>A fix older than this is no fix for <c>gps.position</c> and <c>gps.eta</c>. Default 10 s.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The window of the average speed behind <c>gps.eta</c>. Default 5 minutes.</summary>
    public TimeSpan AverageSpeedWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Below this speed (m/s) the vehicle counts as stationary and that speed gives no ETA. Default 0.5 m/s.</summary>
    public double StationarySpeed { get; set; } = 0.5;
}
