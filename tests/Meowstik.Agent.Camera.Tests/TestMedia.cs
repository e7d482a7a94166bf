using OpenCvSharp;

namespace Meowstik.Agent.Camera.Tests;

/// <summary>Test media made on the fly: an MJPG .avi written by OpenCV's VideoWriter, and raw V4L2-style frames.</summary>
internal static class TestMedia
{
    private static readonly Lazy<string> Video = new(() => WriteVideo(Path.Combine(Path.GetTempPath(), $"meowstik-camera-{Guid.NewGuid():N}.avi"), 30, 320, 240));

    /// <summary>A 30-frame 320x240 MJPG .avi, each frame showing its number (written once per test run).</summary>
    public static string VideoPath => Video.Value;

    public static string WriteVideo(string path, int frames, int width, int height)
    {
        using (var writer = new VideoWriter(path, FourCC.MJPG, 30, new Size(width, height)))
        {
            Assert.True(writer.IsOpened(), "OpenCV's VideoWriter could not open an MJPG .avi");
            using var image = new Mat(height, width, MatType.CV_8UC3);
            for (int i = 0; i < frames; i++)
            {
                image.SetTo(new Scalar(40, 80 + (i * 5), 160));
                Cv2.PutText(image, i.ToString(System.Globalization.CultureInfo.InvariantCulture), new Point(width / 3, height * 2 / 3), HersheyFonts.HersheySimplex, 3, Scalar.White, 5);
                writer.Write(image);
            }
        }

        return path;
    }

    /// <summary>The BGR colours of the eight vertical bars in <see cref="YuyvColorBars"/>.</summary>
    public static readonly (byte B, byte G, byte R)[] Bars =
    [
        (255, 255, 255), (0, 255, 255), (255, 255, 0), (0, 255, 0), (255, 0, 255), (0, 0, 255), (255, 0, 0), (0, 0, 0),
    ];

    /// <summary>A YUYV (studio range, BT.601) frame of eight colour bars, as a V4L2 webcam sends it.</summary>
    public static byte[] YuyvColorBars(int width, int height)
    {
        var frame = new byte[width * height * 2];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x += 2)
            {
                (byte b, byte g, byte r) = Bars[x * Bars.Length / width];
                (byte Y, byte U, byte V) = ToYuv(r, g, b);
                int i = (y * width * 2) + (x * 2);
                frame[i] = Y;
                frame[i + 1] = U;
                frame[i + 2] = Y;
                frame[i + 3] = V;
            }
        }

        return frame;
    }

    /// <summary>An MJPEG frame as a camera sends it: a JPEG (OpenCV-encoded) followed by padding up to the buffer's size.</summary>
    public static (byte[] Buffer, int JpegLength) MjpegFrame(int width, int height, int padding)
    {
        using var image = new Mat(height, width, MatType.CV_8UC3, new Scalar(0, 128, 255));
        Cv2.Circle(image, new Point(width / 2, height / 2), height / 4, Scalar.White, -1);
        byte[] jpeg = image.ImEncode(".jpg");
        var buffer = new byte[jpeg.Length + padding];
        jpeg.CopyTo(buffer, 0);
        return (buffer, jpeg.Length);
    }

    /// <summary>Decodes a JPEG with OpenCV (fails the test if it does not decode).</summary>
    public static Mat Decode(ReadOnlySpan<byte> jpeg)
    {
        Mat image = Cv2.ImDecode(jpeg, ImreadModes.Color);
        Assert.False(image.Empty(), "the JPEG does not decode");
        return image;
    }

    private static (byte Y, byte U, byte V) ToYuv(byte r, byte g, byte b)
    {
        double y = 16 + (65.481 * r / 255) + (128.553 * g / 255) + (24.966 * b / 255);
        double u = 128 - (37.797 * r / 255) - (74.203 * g / 255) + (112.0 * b / 255);
        double v = 128 + (112.0 * r / 255) - (93.786 * g / 255) - (18.214 * b / 255);
        return ((byte)Math.Round(y), (byte)Math.Round(u), (byte)Math.Round(v));
    }
}
