using System.Buffers;
using System.Globalization;
using Iot.Device.Media;

namespace Meowstik.Agent.Camera;

/// <summary>
/// A V4L2 camera (<c>/dev/videoN</c>) through <c>Iot.Device.Media.VideoDevice</c>: trimming- and NativeAOT-safe. It asks
/// for MJPEG when the camera offers it (frames pass through unchanged) and otherwise for YUYV, which the managed
/// encoder turns into JPEG. The capture size is the configured one, or the largest the camera offers within it. Capture
/// runs continuously on its own thread while open; a grab takes the newest frame (older ones are recycled unread).
/// </summary>
public sealed class V4l2CameraSource : ICameraSource
{
    private readonly string _path;
    private readonly int _width;
    private readonly int _height;
    private readonly TimeSpan _frameTimeout;
    private readonly V4l2FrameProcessor _processor = new();
    private readonly object _gate = new(); // Monitor.Wait/PulseAll need a monitor
    private VideoDevice? _device;
    private CancellationTokenSource? _captureStop;
    private Thread? _captureThread;
    private V4l2FrameFormat _format;
    private int _captureWidth;
    private int _captureHeight;
    private byte[]? _latest; // an ArrayPool buffer from the device, or null
    private int _latestLength;
    private string? _captureError;

    /// <summary>Creates the source; nothing is opened until <see cref="Open"/>.</summary>
    /// <param name="devicePath">The device, <c>/dev/videoN</c>.</param>
    /// <param name="width">The capture width asked for.</param>
    /// <param name="height">The capture height asked for.</param>
    /// <param name="frameTimeout">How long a grab waits for a frame.</param>
    public V4l2CameraSource(string devicePath, int width = 640, int height = 480, TimeSpan? frameTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(devicePath);
        _path = devicePath;
        _width = width;
        _height = height;
        _frameTimeout = frameTimeout ?? TimeSpan.FromSeconds(5);
    }

    /// <inheritdoc />
    public string Description => $"v4l2 {_path}";

    /// <inheritdoc />
    public bool IsOpen => _device is not null;

    /// <summary>The format the camera sends (valid once open).</summary>
    public V4l2FrameFormat Format => _format;

    /// <inheritdoc />
    public void Open()
    {
        if (_device is not null)
        {
            return;
        }

        if (!File.Exists(_path))
        {
            throw new CameraException(CameraException.UnavailableCode, $"No V4L2 camera at {_path} (is the camera connected and its driver loaded?).");
        }

        int bus = ParseBus(_path);
        VideoDevice? device = null;
        try
        {
            device = VideoDevice.Create(new VideoConnectionSettings(bus, ((uint)_width, (uint)_height), VideoPixelFormat.YUYV));
            // VideoDevice opens DevicePath + BusId: DevicePath is the prefix ("/dev/video" of "/dev/video0"), not the whole path.
            device.DevicePath = _path[..^bus.ToString(CultureInfo.InvariantCulture).Length];
            List<VideoPixelFormat> formats = [.. device.GetSupportedPixelFormats()];
            VideoPixelFormat pixelFormat = formats.Contains(VideoPixelFormat.MJPEG) ? VideoPixelFormat.MJPEG
                : formats.Contains(VideoPixelFormat.JPEG) ? VideoPixelFormat.JPEG
                : formats.Contains(VideoPixelFormat.YUYV) ? VideoPixelFormat.YUYV
                : throw new CameraException(CameraException.UnavailableCode, $"The camera at {_path} offers neither MJPEG nor YUYV (it offers {string.Join(", ", formats)}).");
            (uint w, uint h) = PickSize(device.GetPixelFormatResolutions(pixelFormat), (uint)_width, (uint)_height);
            device.Settings.PixelFormat = pixelFormat;
            device.Settings.CaptureSize = (w, h);
            device.ImageBufferPoolingEnabled = true;
            device.NewImageBufferReady += OnFrame;
            _format = pixelFormat == VideoPixelFormat.YUYV ? V4l2FrameFormat.Yuyv : V4l2FrameFormat.Mjpeg;
            _captureWidth = (int)w;
            _captureHeight = (int)h;
            device.StartCaptureContinuous();
            var stop = new CancellationTokenSource();
            VideoDevice captured = device;
            var thread = new Thread(() => Capture(captured, stop.Token)) { IsBackground = true, Name = "meowstik-camera-v4l2" };
            _captureError = null;
            _device = device;
            _captureStop = stop;
            _captureThread = thread;
            thread.Start();
        }
        catch (Exception e) when (e is not CameraException)
        {
            device?.Dispose();
            throw new CameraException(CameraException.UnavailableCode, $"The V4L2 camera at {_path} could not be opened: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public CameraFrame GrabJpeg(JpegSettings settings, CancellationToken cancellationToken)
    {
        Open();
        long deadline = Environment.TickCount64 + (long)_frameTimeout.TotalMilliseconds;
        byte[] raw;
        int length;
        lock (_gate)
        {
            // Take the newest frame (the handler replaces it as frames arrive).
            while (_latest is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_captureError is { } error)
                {
                    throw new CameraException(CameraException.NoFrameCode, $"The V4L2 camera at {_path} stopped: {error}");
                }

                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new CameraException(CameraException.NoFrameCode, $"No frame from the V4L2 camera at {_path} within {_frameTimeout.TotalSeconds:0.#} s.");
                }

                Monitor.Wait(_gate, (int)Math.Min(left, 100));
            }

            raw = _latest;
            length = _latestLength;
            _latest = null;
        }

        CameraFrame frame = CameraFrame.Rent(_format == V4l2FrameFormat.Mjpeg ? length : (_captureWidth * _captureHeight / 4) + 4096);
        try
        {
            _processor.Process(raw.AsMemory(0, length), _format, _captureWidth, _captureHeight, _captureWidth * 2, settings, frame);
            return frame;
        }
        catch
        {
            frame.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <inheritdoc />
    public void Close()
    {
        VideoDevice? device = _device;
        if (device is null)
        {
            return;
        }

        _device = null;
        _captureStop?.Cancel();
        try
        {
            device.StopCaptureContinuous();
        }
        catch (IOException)
        {
            // The camera was unplugged.
        }

        _captureThread?.Join(TimeSpan.FromSeconds(2));
        device.NewImageBufferReady -= OnFrame;
        device.Dispose();
        _captureStop?.Dispose();
        _captureStop = null;
        _captureThread = null;
        lock (_gate)
        {
            if (_latest is { } latest)
            {
                ArrayPool<byte>.Shared.Return(latest);
                _latest = null;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    internal static (uint Width, uint Height) PickSize(IEnumerable<Resolution> offered, uint width, uint height)
    {
        (uint W, uint H)? best = null;
        (uint W, uint H)? smallest = null;
        foreach (Resolution r in offered)
        {
            if (r.Type != ResolutionType.Discrete)
            {
                // Continuous or stepwise: the camera takes the size asked for (within its range; the driver rounds).
                return (Math.Clamp(width, r.MinWidth, r.MaxWidth), Math.Clamp(height, r.MinHeight, r.MaxHeight));
            }

            (uint W, uint H) size = (r.MaxWidth, r.MaxHeight);
            if (size.W == width && size.H == height)
            {
                return size;
            }

            if (size.W <= width && size.H <= height && (best is null || (ulong)size.W * size.H > (ulong)best.Value.W * best.Value.H))
            {
                best = size;
            }

            if (smallest is null || (ulong)size.W * size.H < (ulong)smallest.Value.W * smallest.Value.H)
            {
                smallest = size;
            }
        }

        return best ?? smallest ?? (width, height);
    }

    private static int ParseBus(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith("video", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int bus)
            ? bus
            : throw new CameraException(CameraException.UnavailableCode, $"'{path}' is not a V4L2 device path (expected /dev/videoN).");
    }

    private void Capture(VideoDevice device, CancellationToken stop)
    {
        try
        {
            device.CaptureContinuous(stop);
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            lock (_gate)
            {
                _captureError = e.Message;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private void OnFrame(object sender, NewImageBufferReadyEventArgs e)
    {
        // Pooling is on: the buffer is ours to return. Keep the newest; recycle the one it replaces.
        byte[]? replaced;
        lock (_gate)
        {
            replaced = _latest;
            _latest = e.ImageBuffer;
            _latestLength = e.Length;
            Monitor.PulseAll(_gate);
        }

        if (replaced is not null)
        {
            ArrayPool<byte>.Shared.Return(replaced);
        }
    }
}
