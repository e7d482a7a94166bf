namespace Meowstik.Samples.Comma3x;

/// <summary>What the car knows about itself at one moment; the <c>status</c> answer is composed from it.</summary>
/// <param name="Latitude">Degrees, or null without a GPS fix.</param>
/// <param name="Longitude">Degrees, or null without a GPS fix.</param>
/// <param name="SpeedMph">Vehicle speed in mph (from the car, not GPS), or null when unknown.</param>
/// <param name="Engaged">Whether the driver assistance (cruise/openpilot) is engaged.</param>
/// <param name="DriverAttention"><c>alert</c>, <c>distracted</c>, <c>drowsy</c>, or <c>unknown</c> without driver monitoring.</param>
/// <param name="Source">Where the values came from, e.g. <c>can+gps (simulation)</c>.</param>
public sealed record VehicleSnapshot(double? Latitude, double? Longitude, double? SpeedMph, bool Engaged, string DriverAttention, string Source);

/// <summary>
/// The seam behind <c>status</c>: the plugins (DBC-decoded CAN speed and the GPS plugin's fix) today; openpilot's live
/// data (carState, driverMonitoringState) on a real Comma 3X is a second implementation registered in its place.
/// </summary>
public interface IVehicleStatusSource
{
    /// <summary>A short name for logs and answers.</summary>
    string Name { get; }

    /// <summary>The latest values (never blocks on I/O).</summary>
    VehicleSnapshot Read();
}
