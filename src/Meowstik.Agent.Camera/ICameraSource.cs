namespace Meowstik.Agent.Camera;

/// <summary>How a grabbed frame is encoded: JPEG quality and the largest size (larger frames are scaled down).</summary>
/// <param name="Quality">JPEG quality, 1-100.</param>
/// <param name="MaxWidth">The widest output, in pixels.</param>
/// <param name="MaxHeight">The tallest output, in pixels.</param>
public readonly record struct JpegSettings(int Quality, int MaxWidth, int MaxHeight);

/// <summary>
/// A camera the <c>camera</c> capability reads: the V4L2 source in this package, the OpenCV source in
/// <c>Meowstik.Agent.Camera.OpenCv</c>, or your own. The capability calls it from one thread at a time.
/// </summary>
public interface ICameraSource : IDisposable
{
    /// <summary>A short description for logs and errors (no credentials: strip them from URLs).</summary>
    string Description { get; }

    /// <summary>Whether the camera is open.</summary>
    bool IsOpen { get; }

    /// <summary>Opens the camera if it is not open. Blocking.</summary>
    /// <exception cref="CameraException">The camera cannot be opened.</exception>
    void Open();

    /// <summary>Closes the camera (it may be opened again).</summary>
    void Close();

    /// <summary>
    /// Waits for the next frame and returns it as a JPEG in a pooled <see cref="CameraFrame"/>, which the caller disposes.
    /// Blocking: the capability calls it on its own capture thread.
    /// </summary>
    /// <param name="settings">Quality and largest size.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The frame.</returns>
    /// <exception cref="CameraException">No frame (the camera failed, the stream ended, a timeout).</exception>
    CameraFrame GrabJpeg(JpegSettings settings, CancellationToken cancellationToken);
}

/// <summary>A camera failure with a snake_case <see cref="Code"/> the capability answers with.</summary>
public sealed class CameraException : Exception
{
    /// <summary>Error code: the camera cannot be opened.</summary>
    public const string UnavailableCode = "camera_unavailable";

    /// <summary>Error code: no frame arrived (the camera failed, the stream ended, a timeout).</summary>
    public const string NoFrameCode = "no_frame";

    /// <summary>Error code: a frame from the camera was malformed (a truncated JPEG, a short YUYV buffer).</summary>
    public const string BadFrameCode = "bad_frame";

    /// <summary>Creates the exception.</summary>
    public CameraException()
        : this(NoFrameCode, "The camera failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public CameraException(string message)
        : this(NoFrameCode, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CameraException(string message, Exception innerException)
        : this(NoFrameCode, message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="code">The snake_case error code.</param>
    /// <param name="message">A message safe to show to the requester.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CameraException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>The snake_case error code.</summary>
    public string Code { get; }
}
