namespace Meowstik.Hub.Core;

/// <summary>Stable snake_case names of <see cref="DropReason"/> values.</summary>
public static class DropReasons
{
    /// <summary>The snake_case name, e.g. <c>device_offline</c>.</summary>
    public static string ToName(this DropReason reason) => reason switch
    {
        DropReason.ProtocolError => "protocol_error",
        DropReason.TooLarge => "too_large",
        DropReason.InvalidUtf8 => "invalid_utf8",
        DropReason.RateLimited => "rate_limited",
        DropReason.SpoofedFrom => "spoofed_from",
        DropReason.Forbidden => "forbidden",
        DropReason.DeviceOffline => "device_offline",
        DropReason.UnknownDevice => "unknown_device",
        DropReason.Timeout => "timeout",
        DropReason.NoPendingRequest => "no_pending_request",
        DropReason.OutboundOverflow => "outbound_overflow",
        DropReason.VideoSuperseded => "video_superseded",
        DropReason.StreamOverflow => "stream_overflow",
        DropReason.ConnectionClosed => "connection_closed",
        DropReason.NotRegistered => "not_registered",
        DropReason.Unauthorized => "unauthorized",
        DropReason.DuplicateRequestId => "duplicate_request_id",
        DropReason.Overloaded => "overloaded",
        DropReason.HostSubscriberOverflow => "host_subscriber_overflow",
        DropReason.InvalidRequest => "invalid_request",
        _ => "unknown",
    };
}
