namespace Meowstik.Samples.Comma3x;

/// <summary>
/// The seam behind <c>status</c>: the plugins (<see cref="PluginVehicleStatusSource"/>: DBC-decoded CAN speed and the GPS
/// plugin's fix), or openpilot's own data on a real Comma 3X (<see cref="OpenpilotVehicleStatusSource"/>).
/// </summary>
public interface IVehicleStatusSource
{
    /// <summary>A short name for logs and answers.</summary>
    string Name { get; }

    /// <summary>The latest values (never blocks on I/O).</summary>
    VehicleSnapshot Read();
}
