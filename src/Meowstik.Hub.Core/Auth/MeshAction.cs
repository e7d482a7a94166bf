namespace Meowstik.Hub.Core;

/// <summary>
/// What a message asks the hub to do, as seen by authorization. The connection layer maps each protocol
/// message type onto one of these before calling <see cref="AuthManager.Authorize(MeshIdentity, MeshAction, ReadOnlySpan{char})"/>.
/// </summary>
public enum MeshAction
{
    /// <summary>A device announces itself under a device id (the target is that id).</summary>
    Register = 0,

    /// <summary>Execute an action on the target device.</summary>
    Command = 1,

    /// <summary>Request information from the target device.</summary>
    Query = 2,

    /// <summary>Answer a command or query (the router still checks the correlation).</summary>
    Response = 3,

    /// <summary>Report that something happened on the sender.</summary>
    Event = 4,

    /// <summary>An audio/video/data chunk originating from the sender.</summary>
    Stream = 5,

    /// <summary>Keep-alive.</summary>
    Heartbeat = 6,

    /// <summary>A request addressed to the hub itself (for example listing devices).</summary>
    HubRequest = 7,

    /// <summary>Receive events and streams that originate from the target device (subscriptions, broadcast fan-out).</summary>
    Observe = 8,

    /// <summary>Administration: issue or revoke tokens, register catch phrases.</summary>
    Administer = 9,
}
