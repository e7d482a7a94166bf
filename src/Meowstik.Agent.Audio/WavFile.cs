using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Meowstik.Agent.Audio;

/// <summary>
/// Reads and writes RIFF/WAVE files holding 16-bit PCM (format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM subformat).
/// Reading tolerates the "unknown length" headers of a WAV written to a pipe (espeak-ng <c>--stdout</c>): a data chunk
/// claiming more bytes than follow ends at the end of the input.
/// </summary>
public static class WavFile
{
    /// <summary>The largest WAV read (64 MiB: about 11 minutes of 48 kHz stereo).</summary>
    public const int MaxBytes = 64 * 1024 * 1024;

    /// <summary>Reads a WAV file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The clip.</returns>
    /// <exception cref="InvalidDataException">Not a 16-bit PCM WAV, or larger than <see cref="MaxBytes"/>.</exception>
    public static AudioClip Read(string path)
    {
        using FileStream file = File.OpenRead(path);
        return Read(file);
    }

    /// <summary>Reads a WAV from a stream (to its end or the data chunk's end).</summary>
    /// <param name="stream">The stream.</param>
    /// <returns>The clip.</returns>
    /// <exception cref="InvalidDataException">Not a 16-bit PCM WAV, or larger than <see cref="MaxBytes"/>.</exception>
    public static AudioClip Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw new InvalidDataException($"The WAV is larger than {MaxBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Parses a whole WAV held in memory.</summary>
    /// <param name="wav">The file's bytes.</param>
    /// <returns>The clip (its samples copied out).</returns>
    /// <exception cref="InvalidDataException">Not a 16-bit PCM WAV.</exception>
    public static AudioClip Parse(ReadOnlySpan<byte> wav)
    {
        if (wav.Length < 12 || !wav[..4].SequenceEqual("RIFF"u8) || !wav.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("Not a WAV file: no RIFF/WAVE header.");
        }

        AudioFormat? format = null;
        int offset = 12;
        while (offset + 8 <= wav.Length)
        {
            ReadOnlySpan<byte> id = wav.Slice(offset, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(wav.Slice(offset + 4, 4));
            int body = offset + 8;
            int available = wav.Length - body;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || size > available)
                {
                    throw new InvalidDataException("The WAV's fmt chunk is truncated.");
                }

                format = ReadFormat(wav.Slice(body, (int)size));
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (format is not { } f)
                {
                    throw new InvalidDataException("The WAV's data chunk comes before its fmt chunk.");
                }

                // A streamed WAV's header cannot know the length: take what is there.
                int length = (int)Math.Min(size, available);
                int frameBytes = 2 * f.Channels;
                length -= length % frameBytes;
                short[] samples = MemoryMarshal.Cast<byte, short>(wav.Slice(body, length)).ToArray();
                if (!BitConverter.IsLittleEndian)
                {
                    BinaryPrimitives.ReverseEndianness(samples, samples);
                }

                return new AudioClip(f, samples);
            }

            long next = body + size + (size & 1);
            if (next > wav.Length)
            {
                break;
            }

            offset = (int)next;
        }

        throw new InvalidDataException(format is null ? "The WAV has no fmt chunk." : "The WAV has no data chunk.");
    }

    /// <summary>Writes a clip as a 16-bit PCM WAV file.</summary>
    /// <param name="path">The file (replaced).</param>
    /// <param name="clip">The clip.</param>
    public static void Write(string path, AudioClip clip)
    {
        using FileStream file = File.Create(path);
        Write(file, clip);
    }

    /// <summary>Writes a clip as a 16-bit PCM WAV to a stream.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="clip">The clip.</param>
    public static void Write(Stream stream, AudioClip clip)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(clip);
        AudioFormat f = clip.Format;
        int dataBytes = checked(clip.Samples.Length * 2);
        Span<byte> header = stackalloc byte[44];
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(36 + dataBytes));
        "WAVEfmt "u8.CopyTo(header[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(header[20..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(header[22..], (ushort)f.Channels);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)f.SampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], (uint)(f.SampleRate * f.Channels * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(header[32..], (ushort)(f.Channels * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(header[34..], 16);
        "data"u8.CopyTo(header[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], (uint)dataBytes);
        stream.Write(header);
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(clip.Samples.Span));
        }
        else
        {
            short[] swapped = clip.Samples.ToArray();
            BinaryPrimitives.ReverseEndianness(swapped, swapped);
            stream.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
        }
    }

    /// <summary>The clip as WAV bytes.</summary>
    /// <param name="clip">The clip.</param>
    /// <returns>The file's bytes.</returns>
    public static byte[] ToBytes(AudioClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        using var buffer = new MemoryStream(44 + clip.Samples.Length * 2);
        Write(buffer, clip);
        return buffer.ToArray();
    }

    private static AudioFormat ReadFormat(ReadOnlySpan<byte> fmt)
    {
        int tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        int rate = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]), int.MaxValue);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
        if (tag == 0xFFFE && fmt.Length >= 26)
        {
            tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt[24..]); // the subformat GUID's first two bytes
        }

        if (tag != 1 || bits != 16)
        {
            throw new InvalidDataException($"Only 16-bit PCM WAV is supported (this one has format {tag}, {bits} bits).");
        }

        if (channels is < 1 or > 8 || rate is < 1000 or > 384000)
        {
            throw new InvalidDataException($"The WAV's format is out of range ({channels} channels, {rate} Hz).");
        }

        return new AudioFormat(rate, channels);
    }
}
