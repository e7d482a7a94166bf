using Meowstik.Agent.Can;
using Meowstik.Agent.Can.Dbc;
using Meowstik.Agent.Gps;

namespace Meowstik.Samples.Comma3x;

/// <summary>
/// Status from the plugins: position from <see cref="GpsCapability.LatestFix"/>, speed and engagement from DBC signals
/// decoded by the <see cref="CanCapability"/> (<see cref="CanCapability.TryGetLatestSignal"/>). Without driver monitoring
/// the driver's attention is <c>unknown</c>.
/// </summary>
public sealed class PluginVehicleStatusSource(GpsCapability gps, CanCapability can, VehicleOptions options, TimeProvider? time = null) : IVehicleStatusSource
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public string Name => options.Simulation ? "can+gps (simulation: bundled drive)" : "can+gps";

    /// <inheritdoc />
    public VehicleSnapshot Read()
    {
        GpsFix? fix = gps.LatestFix;
        double? speed = null;
        if (can.TryGetLatestSignal(options.SpeedSignal, out DecodedSignal s, out DateTimeOffset at) && _time.GetUtcNow() - at <= options.SignalStaleAfter)
        {
            speed = ToMph(s.Value, s.Signal.Unit);
        }

        bool engaged = options.EngagedSignal is { Length: > 0 } name
            && can.TryGetLatestSignal(name, out DecodedSignal e, out DateTimeOffset eAt)
            && _time.GetUtcNow() - eAt <= options.SignalStaleAfter
            && e.Value >= 0.5;
        return new VehicleSnapshot(
            fix is { HasPosition: true } ? fix.Latitude : null,
            fix is { HasPosition: true } ? fix.Longitude : null,
            speed,
            engaged,
            "unknown",
            Name);
    }

    /// <summary>A speed in the DBC signal's unit (km/h, kph, m/s, mph) in mph.</summary>
    public static double ToMph(double value, string unit) => unit.Trim().ToLowerInvariant() switch
    {
        "km/h" or "kph" or "kmh" => value / 1.609344,
        "m/s" or "mps" => value / GpsFix.MetersPerSecondPerMph,
        _ => value,   // mph, or unitless: taken as mph
    };
}
