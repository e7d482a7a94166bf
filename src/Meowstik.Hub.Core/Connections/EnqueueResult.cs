namespace Meowstik.Hub.Core;

/// <summary>What happened to a message offered to a connection's <see cref="OutboundQueue"/>.</summary>
internal enum EnqueueResult
{
    /// <summary>Queued for the send loop.</summary>
    Queued,
    /// <summary>A video frame replaced an unsent older one (which was dropped).</summary>
    Superseded,
    /// <summary>The queue for this kind of message is full.</summary>
    Full,
    /// <summary>The connection is closing; nothing more is sent.</summary>
    Closed,
}
