using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// Last-known values per device: registration, online/offline since when, last heartbeat, last response per action and
/// last event per name. Written by the router for every such message, so writes must be fast and must not block on I/O;
/// the embedded default is <see cref="InMemoryStateStore"/>. Payloads arrive as slices valid only during the call: copy them.
/// </summary>
public interface IStateStore
{
    /// <summary>A device registered (and is online from <paramref name="at"/>).</summary>
    void SetRegistered(DeviceRegistration registration, DateTimeOffset at);

    /// <summary>A device went offline.</summary>
    void SetOffline(string deviceId, DateTimeOffset at);

    /// <summary>A heartbeat arrived (the payload may be absent).</summary>
    void SetHeartbeat(string deviceId, Utf8JsonSlice payload, DateTimeOffset at);

    /// <summary>A response to <paramref name="action"/> arrived.</summary>
    void SetResponse(string deviceId, ReadOnlySpan<char> action, Utf8JsonSlice payload, DateTimeOffset at);

    /// <summary>An event named <paramref name="eventName"/> arrived.</summary>
    void SetEvent(string deviceId, ReadOnlySpan<char> eventName, Utf8JsonSlice payload, DateTimeOffset at);

    /// <summary>True when the device has ever registered (so an absent device is <c>device_offline</c>, not <c>unknown_device</c>).</summary>
    bool IsKnown(ReadOnlySpan<char> deviceId);

    /// <summary>The state of one device, or null when it never registered.</summary>
    DeviceState? Get(string deviceId);

    /// <summary>Every known device.</summary>
    IReadOnlyList<DeviceState> List();

    /// <summary>
    /// Every known device without its stored values (no heartbeat, responses or events): what a device list needs, at the cost
    /// of the registrations only. The default calls <see cref="List()"/>.
    /// </summary>
    IReadOnlyList<DeviceState> ListSummaries() => List();
}
