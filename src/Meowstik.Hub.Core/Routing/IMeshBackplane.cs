namespace Meowstik.Hub.Core;

/// <summary>
/// The scale-out seam: when a message's target is not connected to this node, the router hands the message to the backplane
/// instead of failing, and presence changes are published through it. The embedded default, <see cref="NullBackplane"/>,
/// is a single node (nothing is remote). A Redis or NATS implementation publishes to the node holding the device and delivers
/// inbound messages through <see cref="IMeshBackplaneDelivery"/>.
/// </summary>
public interface IMeshBackplane
{
    /// <summary>Called once by the hub at start with the sink for messages other nodes route to this one.</summary>
    void Attach(IMeshBackplaneDelivery delivery);

    /// <summary>
    /// Tries to route an encoded, already stamped and authorized message to <paramref name="deviceId"/> on another node.
    /// Must not block. False when no node holds the device (the sender then gets <c>device_offline</c> / <c>unknown_device</c>).
    /// </summary>
    bool TryRouteRemote(ReadOnlySpan<char> deviceId, ReadOnlySpan<byte> message);

    /// <summary>Publishes that a device connected to (or left) this node. Must not block.</summary>
    void PublishPresence(string deviceId, bool online, DateTimeOffset at);
}
