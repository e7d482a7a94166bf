
namespace Meowstik.Hub.Core;

/// <summary>One entry of an <see cref="OutboundQueue"/>: a message (control or stream), or a wake-up for a video slot.</summary>
internal readonly record struct OutboundItem(OutboundFrame? Message, VideoSlot? Slot, bool IsStream);
