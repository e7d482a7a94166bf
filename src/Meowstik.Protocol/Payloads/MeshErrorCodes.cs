namespace Meowstik.Protocol;

/// <summary>
/// Wire values of <c>payload.code</c> in <c>error</c> messages. Protocol (codec) failures use the
/// <see cref="ProtocolErrorCodes"/> names (e.g. <c>malformed_json</c>); these are the mesh-level failures.
/// </summary>
public static class MeshErrorCodes
{
    /// <summary>The target device is known but not connected.</summary>
    public const string DeviceOffline = "device_offline";
    /// <summary>The target device id is not known to the hub.</summary>
    public const string UnknownDevice = "unknown_device";
    /// <summary>No response arrived within the command/query timeout.</summary>
    public const string Timeout = "timeout";
    /// <summary>No capability on the device handles the action.</summary>
    public const string UnknownAction = "unknown_action";
    /// <summary>The capability's handler failed; the message is safe to show.</summary>
    public const string HandlerFailed = "handler_failed";
    /// <summary>The sender's role or grants do not allow this message.</summary>
    public const string Forbidden = "forbidden";
    /// <summary>The sender exceeded its rate limit.</summary>
    public const string RateLimited = "rate_limited";
    /// <summary>The message must be preceded by a successful <c>register</c>.</summary>
    public const string NotRegistered = "not_registered";
    /// <summary>Authentication failed (unknown, expired or revoked token, or a device id not bound to the token).</summary>
    public const string Unauthorized = "unauthorized";
    /// <summary>The hub is shedding load (queue full, too many connections).</summary>
    public const string Overloaded = "overloaded";
    /// <summary>The hub action in a <c>to: hub</c> request is not known.</summary>
    public const string UnknownHubAction = "unknown_hub_action";
    /// <summary>The request's parameters are invalid.</summary>
    public const string InvalidRequest = "invalid_request";
}
