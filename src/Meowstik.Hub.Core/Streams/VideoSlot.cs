
namespace Meowstik.Hub.Core;

/// <summary>
/// The newest-wins lane of one video subscription: holds at most one frame not yet sent. A new frame replaces an unsent one
/// (the replaced frame is dropped and counted), so a slow subscriber always gets the latest picture and never a backlog.
/// </summary>
internal sealed class VideoSlot
{
    private OutboundFrame? _pending;

    /// <summary>Puts <paramref name="frame"/> in the slot; returns the frame it replaced, if any.</summary>
    public OutboundFrame? Exchange(OutboundFrame? frame) => Interlocked.Exchange(ref _pending, frame);
}
