using System.Buffers;

namespace Meowstik.Protocol.Tests.Support;

/// <summary>Builds multi-segment sequences to prove that segmented input decodes like contiguous input.</summary>
public static class Sequences
{
    /// <summary>Two segments split at <paramref name="offset"/> (either may be empty).</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] data, int offset) =>
        Build(data.AsMemory(0, offset), data.AsMemory(offset));

    /// <summary>One segment per byte.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data)
    {
        var parts = new ReadOnlyMemory<byte>[data.Length];
        for (int i = 0; i < data.Length; i++) parts[i] = data.AsMemory(i, 1);
        return Build(parts);
    }

    /// <summary>Segments of <paramref name="size"/> bytes (the last may be shorter).</summary>
    public static ReadOnlySequence<byte> Chunked(byte[] data, int size)
    {
        var parts = new List<ReadOnlyMemory<byte>>();
        for (int i = 0; i < data.Length; i += size) parts.Add(data.AsMemory(i, Math.Min(size, data.Length - i)));
        return Build(parts.ToArray());
    }

    /// <summary>A sequence over the given segments (slices of the caller's memory, not copies).</summary>
    public static ReadOnlySequence<byte> Build(params ReadOnlyMemory<byte>[] parts)
    {
        if (parts.Length == 0) return ReadOnlySequence<byte>.Empty;
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
