namespace Meowstik.Agent.Openpilot;

/// <summary>The driver monitor's alert level (v2 <c>DriverMonitoringState.AlertLevel</c>).</summary>
public enum DriverAlertLevel
{
    /// <summary>No alert.</summary>
    None = 0,

    /// <summary>First, silent prompt.</summary>
    One = 1,

    /// <summary>Audible prompt.</summary>
    Two = 2,

    /// <summary>Immediate warning.</summary>
    Three = 3,
}
