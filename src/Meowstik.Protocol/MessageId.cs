using System.Security.Cryptography;

namespace Meowstik.Protocol;

/// <summary>
/// Generates message ids of the form <c>msg_&lt;unix-ms&gt;_&lt;base36&gt;</c> without allocating. The suffix is 64 bits
/// from the OS CSPRNG, so an observed id says nothing about the next one.
/// </summary>
public static class MessageId
{
    /// <summary>Longest id this type writes, in bytes.</summary>
    public const int MaxLength = 4 + 20 + 1 + 13;

    // Random bytes are drawn in blocks per thread: one CSPRNG call per 32 ids keeps Write cheap and allocation-free.
    private const int BlockBytes = 256;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_next;

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
        pos += WriteBase36(NextRandom(), destination[pos..]);
        return pos;
    }

    /// <summary>Returns a fresh id as a string (allocates; for callers that need one).</summary>
    public static string NewId(TimeProvider? time = null)
    {
        Span<byte> buffer = stackalloc byte[MaxLength];
        int length = Write(buffer, (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds());
        return System.Text.Encoding.ASCII.GetString(buffer[..length]);
    }

    private static ulong NextRandom()
    {
        byte[] block = t_random ??= new byte[BlockBytes];
        int next = t_next;
        if (next == 0 || next > BlockBytes - sizeof(ulong))
        {
            RandomNumberGenerator.Fill(block);
            next = 0;
        }

        ulong value = BitConverter.ToUInt64(block, next);
        // Used bytes are wiped so a later memory disclosure cannot replay past suffixes.
        Array.Clear(block, next, sizeof(ulong));
        t_next = next + sizeof(ulong);
        return value;
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
