namespace Meowstik.Hub.Core;

/// <summary>The local end of a <see cref="IMeshBackplane"/>: delivers a message another node routed to a device connected here.</summary>
public interface IMeshBackplaneDelivery
{
    /// <summary>Queues <paramref name="message"/> (an encoded envelope) to the local connection of <paramref name="deviceId"/>; false when it is not here.</summary>
    bool DeliverLocal(ReadOnlySpan<char> deviceId, ReadOnlySpan<byte> message);
}
