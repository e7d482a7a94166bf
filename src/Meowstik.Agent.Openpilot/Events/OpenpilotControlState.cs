namespace Meowstik.Agent.Openpilot;

/// <summary>openpilot's engagement state (<c>SelfdriveState.OpenpilotState</c>).</summary>
public enum OpenpilotControlState
{
    /// <summary>Not engaged.</summary>
    Disabled = 0,

    /// <summary>About to engage (brake held).</summary>
    PreEnabled = 1,

    /// <summary>Engaged.</summary>
    Enabled = 2,

    /// <summary>Disengaging after an alert.</summary>
    SoftDisabling = 3,

    /// <summary>Engaged, the driver overriding steering or accelerator.</summary>
    Overriding = 4,
}
