using Iot.Device.Media;
using OpenCvSharp;

namespace Meowstik.Agent.Camera.Tests;

/// <summary>The V4L2 source's frame handling on recorded frames (no device): YUYV encoding, MJPEG passthrough, size checks.</summary>
public sealed class V4l2FrameTests
{
    private static readonly JpegSettings Default = new(85, 1920, 1080);

    [Fact]
    public void A_yuyv_test_pattern_encodes_to_a_jpeg_with_the_right_size_and_colours()
    {
        byte[] yuyv = TestMedia.YuyvColorBars(640, 480);
        var processor = new V4l2FrameProcessor();
        using CameraFrame frame = CameraFrame.Rent();
        processor.Process(yuyv, V4l2FrameFormat.Yuyv, 640, 480, 1280, Default, frame);

        Assert.Equal((640, 480), (frame.Width, frame.Height));
        using Mat image = TestMedia.Decode(frame.Jpeg.Span);
        Assert.Equal((640, 480), (image.Width, image.Height));
        for (int bar = 0; bar < TestMedia.Bars.Length; bar++)
        {
            int x = (bar * 80) + 40; // the middle of each 80-pixel bar
            Vec3b pixel = image.At<Vec3b>(240, x);
            (byte b, byte g, byte r) = TestMedia.Bars[bar];
            Assert.InRange(Math.Abs(pixel.Item0 - b), 0, 12);
            Assert.InRange(Math.Abs(pixel.Item1 - g), 0, 12);
            Assert.InRange(Math.Abs(pixel.Item2 - r), 0, 12);
        }
    }

    [Fact]
    public void A_yuyv_frame_above_the_limit_is_scaled_down_and_quality_changes_the_size()
    {
        byte[] yuyv = TestMedia.YuyvColorBars(640, 480);
        var processor = new V4l2FrameProcessor();
        using CameraFrame small = CameraFrame.Rent();
        processor.Process(yuyv, V4l2FrameFormat.Yuyv, 640, 480, 1280, new JpegSettings(85, 320, 240), small);
        Assert.Equal((320, 240), (small.Width, small.Height));
        using (Mat image = TestMedia.Decode(small.Jpeg.Span))
        {
            Assert.Equal((320, 240), (image.Width, image.Height));
        }

        // A stride wider than the row (padded lines) is honoured.
        var padded = new byte[(1280 + 64) * 480];
        for (int y = 0; y < 480; y++)
        {
            Array.Copy(yuyv, y * 1280, padded, y * (1280 + 64), 1280);
        }

        using CameraFrame fromPadded = CameraFrame.Rent();
        processor.Process(padded, V4l2FrameFormat.Yuyv, 640, 480, 1280 + 64, Default, fromPadded);
        using CameraFrame unpadded = CameraFrame.Rent();
        processor.Process(yuyv, V4l2FrameFormat.Yuyv, 640, 480, 1280, Default, unpadded);
        Assert.True(fromPadded.Jpeg.Span.SequenceEqual(unpadded.Jpeg.Span));

        using CameraFrame low = CameraFrame.Rent();
        using CameraFrame high = CameraFrame.Rent();
        byte[] noisy = TestMedia.YuyvColorBars(640, 480);
        new Random(7).NextBytes(noisy.AsSpan(0, noisy.Length / 2));
        processor.Process(noisy, V4l2FrameFormat.Yuyv, 640, 480, 1280, new JpegSettings(20, 1920, 1080), low);
        processor.Process(noisy, V4l2FrameFormat.Yuyv, 640, 480, 1280, new JpegSettings(95, 1920, 1080), high);
        Assert.True(low.Length < high.Length, $"quality 20 gave {low.Length} bytes, quality 95 {high.Length}");
    }

    [Fact]
    public void A_short_or_odd_yuyv_frame_is_a_bad_frame()
    {
        var processor = new V4l2FrameProcessor();
        using CameraFrame frame = CameraFrame.Rent();
        CameraException shortFrame = Assert.Throws<CameraException>(() =>
            processor.Process(new byte[(640 * 480 * 2) - 1], V4l2FrameFormat.Yuyv, 640, 480, 1280, Default, frame));
        Assert.Equal(CameraException.BadFrameCode, shortFrame.Code);
        Assert.Contains("needs 614400 bytes", shortFrame.Message);

        CameraException odd = Assert.Throws<CameraException>(() =>
            processor.Process(new byte[641 * 480 * 2], V4l2FrameFormat.Yuyv, 641, 480, 1282, Default, frame));
        Assert.Equal(CameraException.BadFrameCode, odd.Code);
    }

    [Fact]
    public void An_mjpeg_frame_passes_through_unchanged_without_the_buffer_padding()
    {
        (byte[] buffer, int jpegLength) = TestMedia.MjpegFrame(640, 480, padding: 4096);
        var processor = new V4l2FrameProcessor();
        using CameraFrame frame = CameraFrame.Rent();
        // The negotiated size is not trusted: the JPEG's own start-of-frame gives it.
        processor.Process(buffer, V4l2FrameFormat.Mjpeg, 320, 240, 640, Default, frame);

        Assert.Equal((640, 480), (frame.Width, frame.Height));
        Assert.Equal(jpegLength, frame.Length);
        Assert.True(frame.Jpeg.Span.SequenceEqual(buffer.AsSpan(0, jpegLength)));
        using Mat image = TestMedia.Decode(frame.Jpeg.Span);
        Assert.Equal((640, 480), (image.Width, image.Height));
    }

    [Fact]
    public void A_truncated_or_foreign_mjpeg_frame_is_a_bad_frame()
    {
        (byte[] buffer, int jpegLength) = TestMedia.MjpegFrame(320, 240, padding: 0);
        var processor = new V4l2FrameProcessor();
        using CameraFrame frame = CameraFrame.Rent();

        CameraException truncated = Assert.Throws<CameraException>(() =>
            processor.Process(buffer.AsMemory(0, jpegLength - 10), V4l2FrameFormat.Mjpeg, 320, 240, 640, Default, frame));
        Assert.Equal(CameraException.BadFrameCode, truncated.Code);
        Assert.Contains("truncated", truncated.Message);

        CameraException headerCut = Assert.Throws<CameraException>(() =>
            processor.Process(buffer.AsMemory(0, 100), V4l2FrameFormat.Mjpeg, 320, 240, 640, Default, frame));
        Assert.Equal(CameraException.BadFrameCode, headerCut.Code);

        CameraException foreign = Assert.Throws<CameraException>(() =>
            processor.Process(TestMedia.YuyvColorBars(320, 240), V4l2FrameFormat.Mjpeg, 320, 240, 640, Default, frame));
        Assert.Contains("start-of-image", foreign.Message);
    }

    [Fact]
    public void The_capture_size_is_the_one_asked_for_or_the_largest_within_it()
    {
        static Resolution Discrete(uint w, uint h) => new() { Type = ResolutionType.Discrete, MinWidth = w, MaxWidth = w, MinHeight = h, MaxHeight = h };
        Resolution[] offered = [Discrete(320, 240), Discrete(640, 480), Discrete(1280, 720), Discrete(1920, 1080)];
        Assert.Equal((640u, 480u), V4l2CameraSource.PickSize(offered, 640, 480));
        Assert.Equal((1280u, 720u), V4l2CameraSource.PickSize(offered, 1600, 900));
        Assert.Equal((320u, 240u), V4l2CameraSource.PickSize(offered, 160, 120)); // nothing fits: the smallest
        Resolution stepwise = new() { Type = ResolutionType.Stepwise, MinWidth = 32, MaxWidth = 2592, MinHeight = 32, MaxHeight = 1944, StepWidth = 2, StepHeight = 2 };
        Assert.Equal((800u, 600u), V4l2CameraSource.PickSize([stepwise], 800, 600));
    }

    [Fact]
    public void A_missing_device_is_camera_unavailable()
    {
        using var source = new V4l2CameraSource("/dev/video-meowstik-missing");
        CameraException e = Assert.Throws<CameraException>(source.Open);
        Assert.Equal(CameraException.UnavailableCode, e.Code);
        Assert.False(source.IsOpen);
    }

    [Fact]
    public void A_frame_returns_to_the_pool_once_and_tells_its_owner_once()
    {
        CameraFrame frame = CameraFrame.Rent(16);
        int released = 0;
        frame.OnReleased(_ => released++);
        frame.Set([1, 2, 3], 1, 1);
        frame.Dispose();
        frame.Dispose();
        Assert.Equal(1, released);
    }
}
