namespace Meowstik.Protocol;

/// <summary>The hub endpoint paths named in the design document. The agent speaks the same protocol on all of them.</summary>
public static class MeshPaths
{
    /// <summary>The universal mesh endpoint: <c>/ws/mesh</c>.</summary>
    public const string Mesh = "/ws/mesh";

    /// <summary>Desktop agents: <c>/ws/desktop/agent/{sessionId}</c>.</summary>
    public const string DesktopAgent = "/ws/desktop/agent/";

    /// <summary>Browser extensions: <c>/ws/extension/{sessionId}</c>.</summary>
    public const string Extension = "/ws/extension/";

    /// <summary>Home servers: <c>/ws/homeserver/{serverId}</c>.</summary>
    public const string HomeServer = "/ws/homeserver/";

    /// <summary>Vehicles: <c>/ws/vehicle/{vehicleId}</c>.</summary>
    public const string Vehicle = "/ws/vehicle/";

    /// <summary>Mobile live streaming: <c>/api/live/stream/{sessionId}</c>.</summary>
    public const string LiveStream = "/api/live/stream/";

    /// <summary>Builds a hub URI for a per-kind path, e.g. <c>ForKind(new Uri("wss://hub.example"), MeshPaths.Vehicle, "comma3x-001")</c>.</summary>
    /// <param name="hub">The hub's base address (scheme, host, port).</param>
    /// <param name="kindPath">One of the per-kind paths (ending in '/').</param>
    /// <param name="id">The session/server/vehicle id appended to the path.</param>
    /// <returns>The endpoint URI.</returns>
    public static Uri ForKind(Uri hub, string kindPath, string id)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentException.ThrowIfNullOrEmpty(kindPath);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new Uri(hub, kindPath + Uri.EscapeDataString(id));
    }
}
