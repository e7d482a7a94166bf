using System.Globalization;
using OpenCvSharp;

namespace Meowstik.Agent.Camera.OpenCv;

/// <summary>
/// A camera read through OpenCV (<c>VideoCapture</c>): a device index (<c>0</c>), a video file (replayed in a loop), or an
/// RTSP/HTTP URL. Frames larger than the limit are scaled down (area interpolation) and encoded with OpenCV's JPEG encoder.
/// The capture and scaled images are reused between frames; OpenCvSharp's <c>ImEncode</c> returns a new array per frame,
/// which is copied into the pooled <see cref="CameraFrame"/>. Not NativeAOT-safe.
/// </summary>
public sealed class OpenCvCameraSource : ICameraSource
{
    private readonly string _device;
    private readonly int _width;
    private readonly int _height;
    private readonly bool _isFile;
    private readonly Dictionary<int, int[]> _encodeParams = [];
    private VideoCapture? _capture;
    private Mat? _image;
    private Mat? _scaled;

    /// <summary>Creates the source; nothing is opened until <see cref="Open"/>.</summary>
    /// <param name="device">A device index, a video file or an RTSP/HTTP URL.</param>
    /// <param name="width">The capture width asked of a camera (files and streams keep their own).</param>
    /// <param name="height">The capture height asked of a camera.</param>
    public OpenCvCameraSource(string device, int width = 640, int height = 480)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        _device = device;
        _width = width;
        _height = height;
        _isFile = !IsIndex(device, out _) && !device.Contains("://", StringComparison.Ordinal);
        Description = "opencv " + Redact(device);
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public bool IsOpen => _capture is not null;

    /// <inheritdoc />
    public void Open()
    {
        if (_capture is not null)
        {
            return;
        }

        if (_isFile && !File.Exists(_device))
        {
            throw new CameraException(CameraException.UnavailableCode, $"The video file {_device} does not exist.");
        }

        VideoCapture capture;
        try
        {
            if (IsIndex(_device, out int index))
            {
                capture = new VideoCapture(index);
                capture.Set(VideoCaptureProperties.FrameWidth, _width);
                capture.Set(VideoCaptureProperties.FrameHeight, _height);
                capture.Set(VideoCaptureProperties.BufferSize, 1); // the newest frame, not a queue of old ones
            }
            else
            {
                capture = new VideoCapture(_device);
            }
        }
        catch (Exception e) when (e is OpenCVException or OpenCvSharpException or DllNotFoundException or TypeInitializationException)
        {
            throw new CameraException(CameraException.UnavailableCode, $"OpenCV could not open {Description}: {e.Message}", e);
        }

        if (!capture.IsOpened())
        {
            capture.Dispose();
            throw new CameraException(CameraException.UnavailableCode, $"OpenCV could not open {Description} (no such camera, an unreadable file, or an unreachable stream).");
        }

        _capture = capture;
        _image ??= new Mat();
        _scaled ??= new Mat();
    }

    /// <inheritdoc />
    public CameraFrame GrabJpeg(JpegSettings settings, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Open();
        VideoCapture capture = _capture!;
        Mat image = _image!;
        if (!capture.Read(image) || image.Empty())
        {
            // A file ends: replay it from the start.
            if (!_isFile || !capture.Set(VideoCaptureProperties.PosFrames, 0) || !capture.Read(image) || image.Empty())
            {
                throw new CameraException(CameraException.NoFrameCode, $"No frame from {Description} (the camera or stream stopped).");
            }
        }

        Mat output = image;
        double factor = Math.Min(1.0, Math.Min((double)settings.MaxWidth / image.Width, (double)settings.MaxHeight / image.Height));
        if (factor < 1.0)
        {
            var size = new Size(Math.Max(1, (int)(image.Width * factor)), Math.Max(1, (int)(image.Height * factor)));
            Cv2.Resize(image, _scaled!, size, 0, 0, InterpolationFlags.Area);
            output = _scaled!;
        }

        int quality = Math.Clamp(settings.Quality, 1, 100);
        if (!_encodeParams.TryGetValue(quality, out int[]? prms))
        {
            prms = [(int)ImwriteFlags.JpegQuality, quality];
            _encodeParams[quality] = prms;
        }

        if (!Cv2.ImEncode(".jpg", output, out byte[] jpeg, prms))
        {
            throw new CameraException(CameraException.BadFrameCode, $"OpenCV could not encode a frame from {Description} as JPEG.");
        }

        CameraFrame frame = CameraFrame.Rent(jpeg.Length);
        frame.Set(jpeg, output.Width, output.Height);
        return frame;
    }

    /// <inheritdoc />
    public void Close()
    {
        _capture?.Dispose();
        _capture = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Close();
        _image?.Dispose();
        _scaled?.Dispose();
        _image = null;
        _scaled = null;
    }

    private static bool IsIndex(string device, out int index) =>
        int.TryParse(device, NumberStyles.None, CultureInfo.InvariantCulture, out index);

    /// <summary>Removes a URL's user and password, so logs and errors never show them.</summary>
    private static string Redact(string device) =>
        Uri.TryCreate(device, UriKind.Absolute, out Uri? uri) && !string.IsNullOrEmpty(uri.UserInfo)
            ? device.Replace(uri.UserInfo + "@", "***@", StringComparison.Ordinal)
            : device;
}
