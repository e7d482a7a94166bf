namespace Meowstik.Agent.Openpilot;

/// <summary>The <c>Event</c> union members this plugin reads, by their union tag in openpilot's <c>cereal/log.capnp</c>.</summary>
public enum OpenpilotEventKind
{
    /// <summary>A tag this reader does not know: its data is unavailable.</summary>
    Unknown = -1,

    /// <summary><c>controlsState</c> (tag 6): engagement and alerts in builds before <c>selfdriveState</c> (late 2024).</summary>
    ControlsState = 6,

    /// <summary><c>gpsLocation</c> (tag 20): the device's own GNSS.</summary>
    GpsLocation = 20,

    /// <summary><c>carState</c> (tag 21): speed and cruise state.</summary>
    CarState = 21,

    /// <summary><c>gpsLocationExternal</c> (tag 47): the u-blox/external GNSS.</summary>
    GpsLocationExternal = 47,

    /// <summary><c>driverMonitoringState</c>, the old layout (tag 69).</summary>
    DriverMonitoringStateLegacy = 69,

    /// <summary><c>selfdriveState</c> (tag 128): engagement and alerts.</summary>
    SelfdriveState = 128,

    /// <summary><c>driverMonitoringState</c>, the v2 layout (tag 149, 2026).</summary>
    DriverMonitoringState = 149,
}
