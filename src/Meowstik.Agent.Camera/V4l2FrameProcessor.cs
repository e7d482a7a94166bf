namespace Meowstik.Agent.Camera;

/// <summary>The pixel formats the V4L2 source takes from a camera.</summary>
public enum V4l2FrameFormat
{
    /// <summary>Motion JPEG: each frame is a JPEG, passed through unchanged.</summary>
    Mjpeg = 0,

    /// <summary>Packed YUV 4:2:2 (Y0 U Y1 V): encoded to JPEG by the managed encoder.</summary>
    Yuyv,
}

/// <summary>
/// Turns one raw V4L2 frame into a JPEG <see cref="CameraFrame"/>: MJPEG is checked and passed through (trimmed of the
/// buffer's padding), YUYV is checked for size and encoded. No device needed, so it is tested on recorded frames.
/// </summary>
internal sealed class V4l2FrameProcessor
{
    private readonly YuyvJpegEncoder _encoder = new();

    /// <summary>Fills <paramref name="into"/> with the JPEG of <paramref name="raw"/>.</summary>
    /// <exception cref="CameraException"><see cref="CameraException.BadFrameCode"/>: the frame is malformed.</exception>
    public void Process(ReadOnlyMemory<byte> raw, V4l2FrameFormat format, int width, int height, int stride, JpegSettings settings, CameraFrame into)
    {
        into.Clear();
        if (format == V4l2FrameFormat.Mjpeg)
        {
            if (!MjpegFrame.TryInspect(raw.Span, out int w, out int h, out int length, out string? error))
            {
                throw new CameraException(CameraException.BadFrameCode, $"The camera sent a bad MJPEG frame: {error}.");
            }

            // MJPEG cannot be scaled without decoding it: the source asks the camera for a size within the limit instead.
            into.Set(raw.Span[..length], w, h);
            return;
        }

        (int outWidth, int outHeight) = _encoder.Encode(raw, width, height, stride, settings, into);
        into.Width = outWidth;
        into.Height = outHeight;
    }
}
