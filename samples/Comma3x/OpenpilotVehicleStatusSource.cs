using Meowstik.Agent.Openpilot;

namespace Meowstik.Samples.Comma3x;

/// <summary>
/// Status from openpilot itself on a real Comma 3X (its car's CAN bus is behind the panda, not SocketCAN): speed from
/// carState, engagement from selfdriveState, the driver's attention from driverMonitoringState and the position from
/// openpilot's GPS, all read passively from msgq by <see cref="OpenpilotCapability"/>. Chosen when openpilot's carState
/// queue exists (<see cref="MsgqOpenpilotSource.QueueExists"/>).
/// </summary>
public sealed class OpenpilotVehicleStatusSource(OpenpilotCapability openpilot) : IVehicleStatusSource
{
    /// <inheritdoc />
    public string Name => "openpilot (" + openpilot.SourceDescription + ")";

    /// <inheritdoc />
    public VehicleSnapshot Read()
    {
        OpenpilotState s = openpilot.Latest;
        return new VehicleSnapshot(s.Latitude, s.Longitude, s.SpeedMph, s.Engaged ?? false, s.DriverAttention, Name);
    }
}
