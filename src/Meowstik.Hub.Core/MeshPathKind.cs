namespace Meowstik.Hub.Core;

/// <summary>Which endpoint a connection arrived on (the design document's paths). Recorded for state, logs and audit.</summary>
public enum MeshPathKind
{
    /// <summary><c>/ws/mesh</c>: the generic mesh endpoint.</summary>
    Mesh = 0,
    /// <summary><c>/ws/desktop/agent/{sessionId}</c>.</summary>
    DesktopAgent,
    /// <summary><c>/ws/extension/{sessionId}</c>.</summary>
    Extension,
    /// <summary><c>/ws/homeserver/{serverId}</c>.</summary>
    HomeServer,
    /// <summary><c>/ws/vehicle/{vehicleId}</c>.</summary>
    Vehicle,
    /// <summary><c>/api/live/stream/{sessionId}</c>: mobile live streaming.</summary>
    LiveStream,
}
