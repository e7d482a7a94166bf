namespace Meowstik.Agent.Openpilot;

/// <summary><c>driverMonitoringState</c> in either layout.</summary>
/// <param name="Legacy">The old layout (tag 69): <see cref="AwarenessStatus"/> set, <see cref="AlertLevel"/> None.</param>
/// <param name="FaceDetected">A face is seen.</param>
/// <param name="IsDistracted">The driver is distracted.</param>
/// <param name="AwarenessStatus">Old layout: awareness 0..1; v2: visionPolicyState.awarenessPercent / 100.</param>
/// <param name="AlertLevel">v2: the alert level.</param>
/// <param name="AlwaysOnLockout">v2: alwaysOnLockout.</param>
public readonly record struct DriverMonitoringReading(bool Legacy, bool FaceDetected, bool IsDistracted, float AwarenessStatus, DriverAlertLevel AlertLevel, bool AlwaysOnLockout)
{
    /// <summary><c>distracted</c> when distracted or alerted, <c>alert</c> when a face is seen and all is well, else <c>unknown</c>.</summary>
    public string Attention => IsDistracted || AlertLevel != DriverAlertLevel.None ? "distracted" : FaceDetected ? "alert" : "unknown";
}
