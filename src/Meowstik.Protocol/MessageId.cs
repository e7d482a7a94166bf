using System.Security.Cryptography;

namespace Meowstik.Protocol;

/// <summary>Generates message ids of the form <c>msg_&lt;unix-ms&gt;_&lt;base36&gt;</c>, unique within a process, without allocating.</summary>
public static class MessageId
{
    /// <summary>Longest id this type writes, in bytes.</summary>
    public const int MaxLength = 4 + 20 + 1 + 13;

    private static readonly ulong s_salt = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private static long s_counter;

    /// <summary>Writes a fresh id into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes) and returns its length.</summary>
    public static int Write(Span<byte> destination, long unixMilliseconds)
    {
        if (destination.Length < MaxLength) throw new ArgumentException($"Destination must hold {MaxLength} bytes.", nameof(destination));
        "msg_"u8.CopyTo(destination);
        int pos = 4;
        // Unix ms as decimal; always non-negative for real clocks.
        System.Buffers.Text.Utf8Formatter.TryFormat(Math.Max(0, unixMilliseconds), destination[pos..], out int written);
        pos += written;
        destination[pos++] = (byte)'_';
        // A bijective mix of a per-process counter: unique until 2^64 ids, and not guessable from the previous id.
        ulong x = Mix((ulong)Interlocked.Increment(ref s_counter) + s_salt);
        pos += WriteBase36(x, destination[pos..]);
        return pos;
    }

    /// <summary>Returns a fresh id as a string (allocates; for callers that need one).</summary>
    public static string NewId(TimeProvider? time = null)
    {
        Span<byte> buffer = stackalloc byte[MaxLength];
        int length = Write(buffer, (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds());
        return System.Text.Encoding.ASCII.GetString(buffer[..length]);
    }

    private static ulong Mix(ulong x)
    {
        // splitmix64 finalizer: a bijection on 64-bit values.
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebUL;
        x ^= x >> 31;
        return x;
    }

    private static int WriteBase36(ulong value, Span<byte> destination)
    {
        Span<byte> scratch = stackalloc byte[13];
        int i = scratch.Length;
        do
        {
            ulong digit = value % 36;
            value /= 36;
            scratch[--i] = (byte)(digit < 10 ? '0' + digit : 'a' + digit - 10);
        }
        while (value != 0);
        scratch[i..].CopyTo(destination);
        return scratch.Length - i;
    }
}
