namespace Meowstik.Samples.Comma3x;

/// <summary>What the car knows about itself at one moment; the <c>status</c> answer is composed from it.</summary>
/// <param name="Latitude">Degrees, or null without a GPS fix.</param>
/// <param name="Longitude">Degrees, or null without a GPS fix.</param>
/// <param name="SpeedMph">Vehicle speed in mph (from the car, not GPS), or null when unknown.</param>
/// <param name="Engaged">Whether the driver assistance (cruise/openpilot) is engaged.</param>
/// <param name="DriverAttention"><c>alert</c>, <c>distracted</c>, <c>drowsy</c>, or <c>unknown</c> without driver monitoring.</param>
/// <param name="Source">Where the values came from, e.g. <c>can+gps (simulation)</c>.</param>
public sealed record VehicleSnapshot(double? Latitude, double? Longitude, double? SpeedMph, bool Engaged, string DriverAttention, string Source);
