namespace Meowstik.Agent.Openpilot;

/// <summary><c>gpsLocationExternal</c> / <c>gpsLocation</c> (<c>GpsLocationData</c>).</summary>
/// <param name="Latitude">Degrees.</param>
/// <param name="Longitude">Degrees.</param>
/// <param name="Speed">m/s.</param>
/// <param name="BearingDeg">Degrees.</param>
/// <param name="HorizontalAccuracy">Meters.</param>
/// <param name="UnixTimestampMillis">The fix's time.</param>
/// <param name="HasFix">Whether the receiver has a fix.</param>
public readonly record struct GpsLocationReading(double Latitude, double Longitude, float Speed, float BearingDeg, float HorizontalAccuracy, long UnixTimestampMillis, bool HasFix);
