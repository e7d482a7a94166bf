namespace Meowstik.Samples.Comma3x;

/// <summary>Section <c>Comma3x:Control</c>.</summary>
public sealed class VehicleControlOptions
{
    /// <summary>Off by default: every control command is refused with <c>control_disabled</c>.</summary>
    public bool Enabled { get; set; }

    /// <summary>The lowest cruise speed <c>vehicle.set_cruise_speed</c> accepts.</summary>
    public double MinCruiseSpeedMph { get; set; } = 20;

    /// <summary>The highest cruise speed <c>vehicle.set_cruise_speed</c> accepts.</summary>
    public double MaxCruiseSpeedMph { get; set; } = 70;

    /// <summary>The largest change from the current speed one command may ask for.</summary>
    public double MaxChangeMph { get; set; } = 10;

    /// <summary>The CAN id of the DBC message carrying the command (ACC_COMMAND, 0x321); it reaches the bus only when it is
    /// also on <c>Meowstik:Can:SendAllowList</c> (the CAN plugin's own allow-list and rate limit apply).</summary>
    public string CommandId { get; set; } = "321";
}
