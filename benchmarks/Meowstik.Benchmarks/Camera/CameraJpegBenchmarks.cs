using BenchmarkDotNet.Attributes;
using Meowstik.Agent.Camera;
using OpenCvSharp;

namespace Meowstik.Benchmarks.Camera;

/// <summary>
/// One 1280x720 camera frame to a JPEG (quality 80), per path. One op = one frame, so frames/s = 1e9 / Mean(ns).
/// <c>OpenCvEncode</c>: <c>Cv2.ImEncode</c> of a 720p BGR Mat and the copy into a pooled <see cref="CameraFrame"/> (the
/// OpenCV source). <c>YuyvManaged</c>: a 720p YUYV frame through the V4L2 frame processor (JpegLibrary, 4:2:2, no RGB pass).
/// <c>MjpegPassthrough</c>: a 720p MJPEG frame checked and copied (the V4L2 source when the camera offers MJPEG).
/// The image is a gradient with noise, closer to a camera than flat colour bars.
/// </summary>
[MemoryDiagnoser]
public class CameraJpegBenchmarks
{
    private const int Width = 1280;
    private const int Height = 720;
    private static readonly JpegSettings Settings = new(80, 1920, 1080);
    private readonly V4l2FrameProcessor _processor = new();
    private readonly int[] _params = [(int)ImwriteFlags.JpegQuality, 80];
    private Mat _bgr = null!;
    private byte[] _yuyv = null!;
    private byte[] _mjpeg = null!;
    private CameraFrame _frame = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _bgr = new Mat(Height, Width, MatType.CV_8UC3);
        _yuyv = new byte[Width * Height * 2];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                int n = random.Next(-12, 13);
                byte b = (byte)Math.Clamp((x * 255 / Width) + n, 0, 255);
                byte g = (byte)Math.Clamp((y * 255 / Height) + n, 0, 255);
                byte r = (byte)Math.Clamp(((x + y) * 255 / (Width + Height)) + n, 0, 255);
                _bgr.Set(y, x, new Vec3b(b, g, r));
                int i = (y * Width * 2) + (x * 2);
                _yuyv[i] = (byte)(16 + (((65 * r) + (129 * g) + (25 * b)) >> 8));
                _yuyv[i + 1] = (byte)((x & 1) == 0
                    ? 128 + (((-38 * r) - (74 * g) + (112 * b)) >> 8)
                    : 128 + (((112 * r) - (94 * g) - (18 * b)) >> 8));
            }
        }

        Cv2.ImEncode(".jpg", _bgr, out _mjpeg, _params);
        _frame = CameraFrame.Rent(512 * 1024);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _frame.Dispose();
        _bgr.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int OpenCvEncode()
    {
        Cv2.ImEncode(".jpg", _bgr, out byte[] jpeg, _params);
        _frame.Set(jpeg, Width, Height);
        return _frame.Length;
    }

    [Benchmark]
    public int YuyvManaged()
    {
        _processor.Process(_yuyv, V4l2FrameFormat.Yuyv, Width, Height, Width * 2, Settings, _frame);
        return _frame.Length;
    }

    [Benchmark]
    public int MjpegPassthrough()
    {
        _processor.Process(_mjpeg, V4l2FrameFormat.Mjpeg, Width, Height, Width * 2, Settings, _frame);
        return _frame.Length;
    }
}
