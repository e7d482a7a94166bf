using System.Buffers.Binary;

namespace Meowstik.Agent.Openpilot.Tests;

/// <summary>Builds Cap'n Proto words and framed messages by hand, for tests of pointers the vectors do not contain.</summary>
internal static class Capnp
{
    public static string VectorsDirectory => Path.Combine(AppContext.BaseDirectory, "Vectors");

    public static byte[] Vector(string name) => File.ReadAllBytes(Path.Combine(VectorsDirectory, name + ".bin"));

    public static ulong StructPointer(int offsetWords, int dataWords, int pointers) =>
        (ulong)(uint)(offsetWords << 2) | ((ulong)(ushort)dataWords << 32) | ((ulong)(ushort)pointers << 48);

    public static ulong ListPointer(int offsetWords, int elementSize, int count) =>
        1UL | (ulong)(uint)(offsetWords << 2) | ((ulong)elementSize << 32) | ((ulong)count << 35);

    public static ulong FarPointer(int segment, int padWord, bool isDouble) =>
        2UL | (isDouble ? 4UL : 0) | ((ulong)padWord << 3) | ((ulong)segment << 32);

    /// <summary>The standard framing: segment count − 1, sizes, padding, then the segments.</summary>
    public static byte[] Frame(params ulong[][] segments)
    {
        int table = (4 + (4 * segments.Length) + 7) & ~7;
        var bytes = new byte[table + (segments.Sum(s => s.Length) * 8)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)(segments.Length - 1));
        int at = table;
        for (int i = 0; i < segments.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 + (4 * i)), (uint)segments[i].Length);
            foreach (ulong word in segments[i])
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), word);
                at += 8;
            }
        }

        return bytes;
    }

    /// <summary>The Event word holding the union tag (bytes 8-9); valid (bit 80, stored XOR true) stays true.</summary>
    public static ulong TagWord(ushort tag) => tag;

    public static ulong Float32Word(float low, float high = 0) =>
        BitConverter.SingleToUInt32Bits(low) | ((ulong)BitConverter.SingleToUInt32Bits(high) << 32);

    /// <summary>A single-segment Event with <paramref name="tag"/> whose member is the root struct of <paramref name="member"/> (a framed single-segment message).</summary>
    public static byte[] WrapEvent(ushort tag, ulong logMonoTime, byte[] member)
    {
        // member: [table 8 bytes][root pointer][content...]; the root pointer's offset is relative to word 1 of its segment.
        ulong[] words = new ulong[(member.Length - 8) / 8];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt64LittleEndian(member.AsSpan(8 + (8 * i)));
        }

        // Event at word 1 (2 data words, 1 pointer at word 3). Put the member's segment words 1.. right after: its root
        // pointer (word 0) moves to word 3 and keeps its offset, since the content keeps its position relative to it.
        var segment = new List<ulong> { StructPointer(0, 2, 1), logMonoTime, TagWord(tag) };
        segment.AddRange(words);
        return Frame([.. segment]);
    }
}
