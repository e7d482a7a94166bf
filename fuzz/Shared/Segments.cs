using System.Buffers;

namespace Meowstik.Fuzz;

/// <summary>Builds multi-segment sequences, the shape a pipe or a fragmented WebSocket message hands the codec.</summary>
internal static class Segments
{
    /// <summary>Two segments split at <paramref name="at"/>; either may be empty (still two segments, never single-segment).</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, int at) =>
        Chain([data.AsMemory(0, at), data.AsMemory(at)]);

    /// <summary>One segment per byte (at least two segments).</summary>
    public static ReadOnlySequence<byte> BytePerSegment(byte[] data)
    {
        if (data.Length < 2) return Split(data, data.Length);
        var parts = new ReadOnlyMemory<byte>[data.Length];
        for (int i = 0; i < data.Length; i++) parts[i] = data.AsMemory(i, 1);
        return Chain(parts);
    }

    private static ReadOnlySequence<byte> Chain(ReadOnlyMemory<byte>[] parts)
    {
        var first = new Segment(parts[0], 0);
        Segment last = first;
        for (int i = 1; i < parts.Length; i++) last = last.Append(parts[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
