namespace Meowstik.Agent.Camera;

/// <summary>The camera plugin's options, bound from <c>Meowstik:Camera</c> (<see cref="SectionName"/>).</summary>
public sealed class CameraOptions
{
    /// <summary>The configuration section: <c>Meowstik:Camera</c>.</summary>
    public const string SectionName = "Meowstik:Camera";

    /// <summary>
    /// The camera. V4L2: a device path (<c>/dev/video0</c>). OpenCV (<c>Meowstik.Agent.Camera.OpenCv</c>): a device index
    /// (<c>0</c>), a video file, or an RTSP/HTTP URL. Default <c>/dev/video0</c>.
    /// </summary>
    public string Device { get; set; } = "/dev/video0";

    /// <summary>The capture width asked of the camera (it may choose the nearest it supports). Default 640.</summary>
    public int CaptureWidth { get; set; } = 640;

    /// <summary>The capture height asked of the camera. Default 480.</summary>
    public int CaptureHeight { get; set; } = 480;

    /// <summary>The JPEG quality (1-100) when a request names none. Default 80.</summary>
    public int Quality { get; set; } = 80;

    /// <summary>The widest image sent; larger frames are scaled down, and requests are capped at it. Default 1920.</summary>
    public int MaxWidth { get; set; } = 1920;

    /// <summary>The tallest image sent. Default 1080.</summary>
    public int MaxHeight { get; set; } = 1080;

    /// <summary>The stream rate when <c>camera.stream_start</c> names none, in frames per second. Default 10.</summary>
    public double StreamFps { get; set; } = 10;

    /// <summary>The fastest stream allowed, in frames per second. Default 30.</summary>
    public double MaxStreamFps { get; set; } = 30;

    /// <summary>
    /// Stream frames handed to the agent and not yet written to the socket, at most (1-16). When the link is slower than the
    /// camera, one newer frame waits and replaces the one waiting before it (counted as dropped): no backlog. Default 2.
    /// </summary>
    public int MaxFramesInFlight { get; set; } = 2;

    /// <summary>The largest snapshot returned inline (base64 <c>data</c>); a larger one must be an <c>image_ref</c>. Default 512 KiB.</summary>
    public int MaxInlineBytes { get; set; } = 512 * 1024;

    /// <summary>The folder <c>camera.snapshot</c> saves <c>image_ref</c> snapshots in; unset (the default) refuses <c>image_ref</c>.</summary>
    public string? SnapshotFolder { get; set; }

    /// <summary>How many saved snapshots the folder keeps (the oldest are deleted). Default 100.</summary>
    public int SnapshotKeep { get; set; } = 100;

    /// <summary>How long a frame may take to arrive before a grab fails. Default 5 s.</summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
