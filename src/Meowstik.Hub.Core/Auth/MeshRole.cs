namespace Meowstik.Hub.Core;

/// <summary>The role a token grants. Ordered from least to most privileged.</summary>
public enum MeshRole
{
    /// <summary>May connect, send heartbeats and hub requests; no device access at all.</summary>
    Guest = 0,

    /// <summary>Read-only: may <see cref="MeshAction.Query"/> and observe the devices it is permitted.</summary>
    Family = 1,

    /// <summary>A device: its own registration, events, streams and responses; commands and queries only where granted.</summary>
    Device = 2,

    /// <summary>The mesh owner: full access to every device and to administration.</summary>
    Creator = 3,
}
