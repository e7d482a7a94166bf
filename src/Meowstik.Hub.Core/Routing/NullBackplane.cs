namespace Meowstik.Hub.Core;

/// <summary>The single-node default: no other nodes, so nothing is ever remote and presence stays local.</summary>
public sealed class NullBackplane : IMeshBackplane
{
    /// <summary>The shared instance.</summary>
    public static NullBackplane Instance { get; } = new();

    /// <inheritdoc />
    public void Attach(IMeshBackplaneDelivery delivery) => ArgumentNullException.ThrowIfNull(delivery);

    /// <inheritdoc />
    public bool TryRouteRemote(ReadOnlySpan<char> deviceId, ReadOnlySpan<byte> message) => false;

    /// <inheritdoc />
    public void PublishPresence(string deviceId, bool online, DateTimeOffset at)
    {
    }
}
