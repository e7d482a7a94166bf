namespace Meowstik.Agent.Openpilot.Zmq;

/// <summary>Options of the bridge source, bound from <c>Meowstik:OpenpilotBridge</c> (<see cref="SectionName"/>).</summary>
public sealed class OpenpilotBridgeOptions
{
    /// <summary>The configuration section: <c>Meowstik:OpenpilotBridge</c>.</summary>
    public const string SectionName = "Meowstik:OpenpilotBridge";

    /// <summary>The device running openpilot's <c>bridge</c> (required), e.g. <c>192.168.43.1</c>.</summary>
    public string? Host { get; set; }

    /// <summary>The services; default carState, selfdriveState, controlsState, driverMonitoringState, gpsLocationExternal, gpsLocation.</summary>
    public List<string> Services { get; set; } = [];

    /// <summary>Ports by service, overriding the bridge's rule (8023 + FNV-1a-64(service) % 57512).</summary>
    public Dictionary<string, int> Ports { get; set; } = new(StringComparer.Ordinal);
}

internal static class OpenpilotBridgeOptionsValidator
{
    public static IEnumerable<string> FindErrors(OpenpilotBridgeOptions options, string sectionPath)
    {
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            yield return $"{sectionPath}:{nameof(OpenpilotBridgeOptions.Host)} is not set: name the device running openpilot's bridge, e.g. 192.168.43.1.";
        }

        foreach ((string service, int port) in options.Ports)
        {
            if (port is < 1 or > 65535)
            {
                yield return $"{sectionPath}:{nameof(OpenpilotBridgeOptions.Ports)}:{service} is {port}: a TCP port is 1-65535.";
            }
        }
    }
}
