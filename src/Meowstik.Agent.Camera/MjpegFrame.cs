using System.Buffers.Binary;

namespace Meowstik.Agent.Camera;

/// <summary>Checks an MJPEG frame (one JPEG) from a camera before it is passed through unchanged.</summary>
internal static class MjpegFrame
{
    /// <summary>
    /// Finds the image size (from the start-of-frame marker) and the JPEG's real length (through the last end-of-image
    /// marker: V4L2 buffers are often padded). Fails, with the reason, for anything that is not a complete baseline or
    /// progressive JPEG.
    /// </summary>
    public static bool TryInspect(ReadOnlySpan<byte> data, out int width, out int height, out int length, out string? error)
    {
        width = height = length = 0;
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            error = "it does not start with a JPEG start-of-image marker (FF D8)";
            return false;
        }

        int i = 2;
        while (true)
        {
            // Markers may be preceded by fill bytes (FF).
            while (i < data.Length && data[i] == 0xFF && i + 1 < data.Length && data[i + 1] == 0xFF)
            {
                i++;
            }

            if (i + 4 > data.Length || data[i] != 0xFF)
            {
                error = $"it has no start-of-scan marker (a malformed segment at byte {i})";
                return false;
            }

            byte marker = data[i + 1];
            int segment = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i + 2));
            if (segment < 2 || i + 2 + segment > data.Length)
            {
                error = $"segment FF {marker:X2} at byte {i} runs past the end of the frame";
                return false;
            }

            if (marker is 0xC0 or 0xC1 or 0xC2)
            {
                if (segment < 8)
                {
                    error = "its start-of-frame segment is too short";
                    return false;
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i + 5));
                width = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i + 7));
            }
            else if (marker == 0xDA)
            {
                i += 2 + segment;
                break;
            }

            i += 2 + segment;
        }

        if (width == 0 || height == 0)
        {
            error = "it has no start-of-frame marker with a size before its scan";
            return false;
        }

        // The entropy-coded data never holds FF D9 (an FF in it is stuffed as FF 00), so the last FF D9 ends the image.
        int end = data.Slice(i).LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]);
        if (end < 0)
        {
            error = "it is truncated (no end-of-image marker FF D9)";
            return false;
        }

        length = i + end + 2;
        error = null;
        return true;
    }
}
