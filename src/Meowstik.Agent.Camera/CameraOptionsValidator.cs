using System.Globalization;

namespace Meowstik.Agent.Camera;

/// <summary>Checks <see cref="CameraOptions"/> when the host starts; every problem is reported, each naming its key.</summary>
internal static class CameraOptionsValidator
{
    public static IEnumerable<string> FindErrors(CameraOptions options, string sectionPath)
    {
        var errors = new List<string>();
        string Key(string option) => $"{sectionPath}:{option}";
        void Add(FormattableString message) => errors.Add(message.ToString(CultureInfo.InvariantCulture));

        if (string.IsNullOrWhiteSpace(options.Device))
        {
            Add($"{Key(nameof(CameraOptions.Device))} is not set: name the camera, e.g. /dev/video0 (V4L2) or 0, a file or an rtsp:// URL (OpenCV).");
        }

        if (options.CaptureWidth is < 16 or > 8192 || options.CaptureHeight is < 16 or > 8192)
        {
            Add($"{Key(nameof(CameraOptions.CaptureWidth))} x {Key(nameof(CameraOptions.CaptureHeight))} is {options.CaptureWidth}x{options.CaptureHeight}: each must be 16-8192 pixels.");
        }

        if (options.Quality is < 1 or > 100)
        {
            Add($"{Key(nameof(CameraOptions.Quality))} is {options.Quality}: a JPEG quality is 1-100.");
        }

        if (options.MaxWidth is < 16 or > 8192 || options.MaxHeight is < 16 or > 8192)
        {
            Add($"{Key(nameof(CameraOptions.MaxWidth))} x {Key(nameof(CameraOptions.MaxHeight))} is {options.MaxWidth}x{options.MaxHeight}: each must be 16-8192 pixels.");
        }

        if (!double.IsFinite(options.MaxStreamFps) || options.MaxStreamFps <= 0 || options.MaxStreamFps > 120)
        {
            Add($"{Key(nameof(CameraOptions.MaxStreamFps))} is {options.MaxStreamFps}: use a rate above 0 and at most 120 frames/s.");
        }

        if (!double.IsFinite(options.StreamFps) || options.StreamFps <= 0 || options.StreamFps > options.MaxStreamFps)
        {
            Add($"{Key(nameof(CameraOptions.StreamFps))} is {options.StreamFps}: use a rate above 0 and at most {Key(nameof(CameraOptions.MaxStreamFps))} ({options.MaxStreamFps}).");
        }

        if (options.MaxFramesInFlight is < 1 or > 16)
        {
            Add($"{Key(nameof(CameraOptions.MaxFramesInFlight))} is {options.MaxFramesInFlight}: allow 1-16 frames in flight.");
        }

        if (options.MaxInlineBytes is < 1024 or > 64 * 1024 * 1024)
        {
            Add($"{Key(nameof(CameraOptions.MaxInlineBytes))} is {options.MaxInlineBytes}: use 1024 bytes to 64 MiB (base64 adds a third; keep it under the agent's MaxMessageBytes).");
        }

        if (options.SnapshotFolder is { } folder && string.IsNullOrWhiteSpace(folder))
        {
            Add($"{Key(nameof(CameraOptions.SnapshotFolder))} is blank: name a folder, or leave it unset to refuse image_ref snapshots.");
        }

        if (options.SnapshotKeep < 1)
        {
            Add($"{Key(nameof(CameraOptions.SnapshotKeep))} is {options.SnapshotKeep}: keep at least 1 snapshot.");
        }

        if (options.FrameTimeout <= TimeSpan.Zero)
        {
            Add($"{Key(nameof(CameraOptions.FrameTimeout))} must be positive.");
        }

        return errors;
    }
}
