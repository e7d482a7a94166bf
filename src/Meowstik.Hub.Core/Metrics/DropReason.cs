namespace Meowstik.Hub.Core;

/// <summary>
/// Why a message was not delivered or a connection was refused. The same snake_case names (see <see cref="DropReasons"/>)
/// appear in metric tags (<c>meowstik.hub.messages.dropped</c>), audit rows and logs.
/// </summary>
public enum DropReason
{
    /// <summary><c>protocol_error</c>: the codec rejected the message (malformed JSON, missing or invalid field, unknown type…).</summary>
    ProtocolError,
    /// <summary><c>too_large</c>: the message exceeded the size limit.</summary>
    TooLarge,
    /// <summary><c>invalid_utf8</c>: a text message was not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary><c>rate_limited</c>: the sender exceeded its token bucket.</summary>
    RateLimited,
    /// <summary><c>spoofed_from</c>: <c>from</c> named a device other than the sender.</summary>
    SpoofedFrom,
    /// <summary><c>forbidden</c>: the sender's role or grants do not allow it.</summary>
    Forbidden,
    /// <summary><c>device_offline</c>: the target is known but not connected.</summary>
    DeviceOffline,
    /// <summary><c>unknown_device</c>: the target has never registered.</summary>
    UnknownDevice,
    /// <summary><c>timeout</c>: no response within the request timeout.</summary>
    Timeout,
    /// <summary><c>no_pending_request</c>: a response whose <c>correlation_id</c> matches no pending request (late or bogus).</summary>
    NoPendingRequest,
    /// <summary><c>outbound_overflow</c>: the target's backlog exceeded <see cref="MeshHubOptions.MaxPendingBytes"/>; the target is closed as a slow consumer.</summary>
    OutboundOverflow,
    /// <summary><c>video_superseded</c>: a newer video frame replaced one a slow subscriber had not received yet.</summary>
    VideoSuperseded,
    /// <summary><c>stream_overflow</c>: a subscriber's audio/data stream queue was full.</summary>
    StreamOverflow,
    /// <summary><c>connection_closed</c>: the target closed before the message could be queued or sent (queued messages a closing connection could not be sent are counted here too).</summary>
    ConnectionClosed,
    /// <summary><c>not_registered</c>: a message other than <c>register</c> arrived before registration.</summary>
    NotRegistered,
    /// <summary><c>unauthorized</c>: authentication failed.</summary>
    Unauthorized,
    /// <summary><c>duplicate_request_id</c>: a command/query reused the id of a pending request.</summary>
    DuplicateRequestId,
    /// <summary><c>overloaded</c>: the hub is at a capacity limit (connections, pending requests).</summary>
    Overloaded,
    /// <summary><c>host_subscriber_overflow</c>: an in-process subscriber did not keep up; its oldest item was dropped.</summary>
    HostSubscriberOverflow,
    /// <summary><c>invalid_request</c>: a well-formed message the hub cannot act on (duplicate register, bad hub action parameters…).</summary>
    InvalidRequest,
}
