using System.Buffers.Text;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Camera;

/// <summary>
/// The <c>camera</c> capability. Queries <c>camera.snapshot</c> (a JPEG: inline base64 <c>data</c>, or saved as an
/// <c>image_ref</c> under <see cref="CameraOptions.SnapshotFolder"/>, with <c>width</c> and <c>height</c>) and
/// <c>camera.status</c>; commands <c>camera.stream_start</c> (JPEG chunks, <c>stream_type</c> <c>video</c>, to the hub, which
/// forwards them to the device's <c>video</c> stream subscribers) and <c>camera.stream_stop</c>. A slow link drops frames
/// (newest wins, counted) instead of queueing them.
/// </summary>
public sealed class CameraCapability : MeshCapability, IDisposable
{
    /// <summary>The stream type of <c>camera.stream_start</c> chunks.</summary>
    public const string StreamType = "video";

    /// <summary>Error code: a parameter is out of range.</summary>
    public const string InvalidParamsError = "invalid_params";

    /// <summary>Error code: the snapshot is larger than <see cref="CameraOptions.MaxInlineBytes"/> for an inline answer.</summary>
    public const string TooLargeError = "too_large";

    /// <summary>Error code: an <c>image_ref</c> was asked for and no <see cref="CameraOptions.SnapshotFolder"/> is set.</summary>
    public const string NoSnapshotFolderError = "no_snapshot_folder";

    private readonly ICameraSource _source;
    private readonly CameraOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CameraInstruments _instruments;
    private readonly Lock _sourceLock = new();
    private readonly Lock _streamLock = new();
    private readonly Lock _controlLock = new(); // one stream start/stop at a time
    private readonly KeyValuePair<string, object?> _slowLink = new("reason", "slow_link");
    private readonly KeyValuePair<string, object?> _offline = new("reason", "offline");
    private StreamState? _stream;
    private long _totalSent;
    private long _totalDropped;
    private int _peakInFlight;
    private long _snapshotSequence;

    /// <summary>Creates the capability.</summary>
    /// <param name="source">The camera.</param>
    /// <param name="options">The options; defaults when null.</param>
    /// <param name="logger">Logs stream starts/stops and camera failures.</param>
    /// <param name="timeProvider">Snapshot names; the system clock by default.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Camera</c> meter.</param>
    public CameraCapability(ICameraSource source, CameraOptions? options = null, ILogger<CameraCapability>? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
        : base("camera")
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _options = options ?? new CameraOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = new CameraInstruments(meterFactory);
        HandleQuery("camera.snapshot", SnapshotAsync);
        HandleQuery("camera.status", _ => CommandResult.Ok(WriteStatus));
        Handle("camera.stream_start", StartStream);
        Handle("camera.stream_stop", _ => StopStream());
    }

    /// <summary>Whether a stream runs now.</summary>
    public bool IsStreaming
    {
        get
        {
            lock (_streamLock) return _stream is not null;
        }
    }

    /// <summary>Stream frames handed to the agent since the capability started.</summary>
    public long FramesSent
    {
        get
        {
            lock (_streamLock) return _totalSent + (_stream?.Streamer.Sent ?? 0);
        }
    }

    /// <summary>Stream frames dropped since the capability started (a newer frame replaced them, or the agent was offline).</summary>
    public long FramesDropped
    {
        get
        {
            lock (_streamLock) return _totalDropped + (_stream?.Streamer.Dropped ?? 0);
        }
    }

    /// <summary>The most stream frames ever with the agent at once (at most <see cref="CameraOptions.MaxFramesInFlight"/>).</summary>
    internal int PeakInFlight
    {
        get
        {
            lock (_streamLock) return Math.Max(_peakInFlight, _stream?.Streamer.PeakInFlight ?? 0);
        }
    }

    /// <summary>Stops any stream when the agent stops.</summary>
    /// <param name="publisher">Unused: streams publish through the requester's publisher.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the agent stops.</returns>
    public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        StopStream();
    }

    /// <summary>Stops any stream and closes the camera.</summary>
    public void Dispose()
    {
        StopStream();
        lock (_sourceLock)
        {
            _source.Dispose();
        }
    }

    /// <summary>Grabs one JPEG from the source (opening it if needed), one caller at a time.</summary>
    internal CameraFrame Grab(JpegSettings settings, CancellationToken cancellationToken)
    {
        lock (_sourceLock)
        {
            try
            {
                _source.Open();
                return _source.GrabJpeg(settings, cancellationToken);
            }
            catch (CameraException e)
            {
                _instruments.Errors.Add(1, new KeyValuePair<string, object?>("code", e.Code));
                throw;
            }
        }
    }

    private static bool TryInt(CommandContext context, string name, int fallback, int min, int max, out int value, out CommandResult? error)
    {
        value = fallback;
        error = null;
        if (!context.TryGetParam(name, out JsonElement element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out value) || value < min || value > max)
        {
            error = CommandResult.Fail(InvalidParamsError, string.Create(CultureInfo.InvariantCulture, $"'{name}' must be a whole number from {min} to {max}."));
            return false;
        }

        return true;
    }

    private bool TrySettings(CommandContext context, out JpegSettings settings, out CommandResult? error)
    {
        settings = default;
        if (!TryInt(context, "quality", _options.Quality, 1, 100, out int quality, out error)
            || !TryInt(context, "max_width", _options.MaxWidth, 16, _options.MaxWidth, out int maxWidth, out error)
            || !TryInt(context, "max_height", _options.MaxHeight, 16, _options.MaxHeight, out int maxHeight, out error))
        {
            return false;
        }

        settings = new JpegSettings(quality, maxWidth, maxHeight);
        return true;
    }

    private async ValueTask<CommandResult> SnapshotAsync(CommandContext context, CancellationToken cancellationToken)
    {
        if (!TrySettings(context, out JpegSettings settings, out CommandResult? error))
        {
            return error!;
        }

        string output = context.GetString("output", "inline")!;
        if (output is not ("inline" or "image_ref"))
        {
            return CommandResult.Fail(InvalidParamsError, "'output' must be \"inline\" (base64 data) or \"image_ref\" (a file in the snapshot folder).");
        }

        if (output == "image_ref" && _options.SnapshotFolder is null)
        {
            return CommandResult.Fail(NoSnapshotFolderError, "This camera saves no snapshots (Meowstik:Camera:SnapshotFolder is not set); ask for \"output\": \"inline\".");
        }

        CameraFrame frame;
        try
        {
            frame = await Task.Run(() => Grab(settings, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (CameraException e)
        {
            return CommandResult.Fail(e.Code, e.Message);
        }

        using (frame)
        {
            _instruments.Snapshots.Add(1, new KeyValuePair<string, object?>("output", output));
            if (output == "inline")
            {
                if (frame.Length > _options.MaxInlineBytes)
                {
                    return CommandResult.Fail(TooLargeError, string.Create(CultureInfo.InvariantCulture,
                        $"The snapshot is {frame.Length} bytes, over the {_options.MaxInlineBytes}-byte inline limit: ask for a lower quality or max_width, or \"output\": \"image_ref\"."));
                }

                ReadOnlyMemory<byte> jpeg = frame.Jpeg;
                int width = frame.Width;
                int height = frame.Height;
                return CommandResult.Ok(w =>
                {
                    w.WriteString("codec", "jpeg");
                    w.WriteNumber("width", width);
                    w.WriteNumber("height", height);
                    w.WriteNumber("bytes", jpeg.Length);
                    w.WriteBase64String("data", jpeg.Span);
                });
            }

            string name = await SaveAsync(frame, cancellationToken).ConfigureAwait(false);
            int savedWidth = frame.Width;
            int savedHeight = frame.Height;
            int bytes = frame.Length;
            return CommandResult.Ok(w =>
            {
                w.WriteString("image_ref", name);
                w.WriteString("codec", "jpeg");
                w.WriteNumber("width", savedWidth);
                w.WriteNumber("height", savedHeight);
                w.WriteNumber("bytes", bytes);
            });
        }
    }

    private async Task<string> SaveAsync(CameraFrame frame, CancellationToken cancellationToken)
    {
        string folder = _options.SnapshotFolder!;
        Directory.CreateDirectory(folder);
        long sequence = Interlocked.Increment(ref _snapshotSequence);
        string name = string.Create(CultureInfo.InvariantCulture, $"camera-{_time.GetUtcNow():yyyyMMdd'T'HHmmssfff'Z'}-{sequence:D6}.jpg");
        string path = Path.Combine(folder, name);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await file.WriteAsync(frame.Jpeg, cancellationToken).ConfigureAwait(false);
        }

        Prune(folder);
        return name;
    }

    private void Prune(string folder)
    {
        string[] files = Directory.GetFiles(folder, "camera-*.jpg");
        if (files.Length <= _options.SnapshotKeep)
        {
            return;
        }

        Array.Sort(files, StringComparer.Ordinal); // names start with a UTC timestamp: oldest first
        for (int i = 0; i < files.Length - _options.SnapshotKeep; i++)
        {
            try
            {
                File.Delete(files[i]);
            }
            catch (IOException e)
            {
                CameraLog.PruneFailed(_logger, e, Path.GetFileName(files[i]));
            }
            catch (UnauthorizedAccessException e)
            {
                CameraLog.PruneFailed(_logger, e, Path.GetFileName(files[i]));
            }
        }
    }

    private CommandResult StartStream(CommandContext context)
    {
        if (!TrySettings(context, out JpegSettings settings, out CommandResult? error))
        {
            return error!;
        }

        double fps = context.GetDouble("fps", _options.StreamFps);
        if (context.TryGetParam("fps", out JsonElement f) && f.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null))
        {
            fps = double.NaN;
        }

        if (!double.IsFinite(fps) || fps <= 0 || fps > _options.MaxStreamFps)
        {
            return CommandResult.Fail(InvalidParamsError, string.Create(CultureInfo.InvariantCulture, $"'fps' must be above 0 and at most {_options.MaxStreamFps}."));
        }

        // Accept the design document's "resolution": "WxH" as well as max_width/max_height.
        if (context.GetString("resolution") is { } resolution)
        {
            string[] parts = resolution.Split('x', 'X');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int rw) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int rh)
                || rw is < 16 || rh is < 16 || rw > _options.MaxWidth || rh > _options.MaxHeight)
            {
                return CommandResult.Fail(InvalidParamsError, string.Create(CultureInfo.InvariantCulture, $"'resolution' must be WIDTHxHEIGHT, at least 16x16 and at most {_options.MaxWidth}x{_options.MaxHeight}."));
            }

            settings = settings with { MaxWidth = rw, MaxHeight = rh };
        }

        lock (_controlLock)
        {
            return Start(context.Publisher, settings, fps);
        }
    }

    private CommandResult Start(IMeshPublisher publisher, JpegSettings settings, double fps)
    {
        StopStream();
        var stop = new CancellationTokenSource();
        var streamer = new FrameStreamer(publisher, _options.MaxFramesInFlight, to: null,
            onSent: () => _instruments.FramesSent.Add(1),
            onDropped: n => _instruments.FramesDropped.Add(n, _slowLink),
            onOffline: n => _instruments.FramesDropped.Add(n, _offline));
        var stream = new StreamState(streamer, stop, settings, fps);
        stream.Thread = new Thread(() => CaptureLoop(stream)) { IsBackground = true, Name = "meowstik-camera-capture" };
        lock (_streamLock)
        {
            _stream = stream;
        }

        stream.Thread.Start();
        CameraLog.StreamStarted(_logger, _source.Description, fps, settings.MaxWidth, settings.MaxHeight, settings.Quality);
        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("streaming", true);
            w.WriteString("stream_type", StreamType);
            w.WriteString("codec", "jpeg");
            w.WriteNumber("fps", fps);
            w.WriteNumber("max_width", settings.MaxWidth);
            w.WriteNumber("max_height", settings.MaxHeight);
            w.WriteNumber("quality", settings.Quality);
        });
    }

    private CommandResult StopStream()
    {
        lock (_controlLock)
        {
            return Stop();
        }
    }

    private CommandResult Stop()
    {
        StreamState? stream;
        lock (_streamLock)
        {
            stream = _stream;
            _stream = null;
        }

        if (stream is null)
        {
            return CommandResult.Ok(w => w.WriteBoolean("streaming", false));
        }

        stream.Stop.Cancel();
        stream.Thread?.Join();
        stream.Streamer.Dispose();
        stream.Stop.Dispose();
        long sent = stream.Streamer.Sent;
        long dropped = stream.Streamer.Dropped;
        lock (_streamLock)
        {
            _totalSent += sent;
            _totalDropped += dropped;
            _peakInFlight = Math.Max(_peakInFlight, stream.Streamer.PeakInFlight);
        }

        CameraLog.StreamStopped(_logger, sent, dropped);
        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("streaming", false);
            w.WriteNumber("frames_sent", sent);
            w.WriteNumber("frames_dropped", dropped);
        });
    }

    private void CaptureLoop(StreamState stream)
    {
        CancellationToken stop = stream.Stop.Token;
        long interval = (long)(_time.TimestampFrequency / stream.Fps);
        long next = _time.GetTimestamp();
        long index = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                CameraFrame frame = Grab(stream.Settings, stop);
                frame.Index = index++;
                stream.Streamer.Offer(frame);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (CameraException e)
            {
                const int DelayMs = 1000;
                CameraLog.GrabFailed(_logger, _source.Description, e.Code, e.Message, DelayMs);
                lock (_sourceLock)
                {
                    _source.Close(); // reopened by the next grab
                }

                stop.WaitHandle.WaitOne(DelayMs);
                next = _time.GetTimestamp();
                continue;
            }

            // Pace to the asked rate; never catch up with a burst after a slow grab.
            next += interval;
            long now = _time.GetTimestamp();
            if (next > now)
            {
                stop.WaitHandle.WaitOne(TimeSpan.FromSeconds((double)(next - now) / _time.TimestampFrequency));
            }
            else
            {
                next = now;
            }
        }
    }

    private void WriteStatus(Utf8JsonWriter w)
    {
        StreamState? stream;
        lock (_streamLock)
        {
            stream = _stream;
        }

        w.WriteString("source", _source.Description);
        w.WriteBoolean("open", _source.IsOpen);
        w.WriteBoolean("streaming", stream is not null);
        if (stream is not null)
        {
            w.WriteNumber("fps", stream.Fps);
            w.WriteNumber("max_width", stream.Settings.MaxWidth);
            w.WriteNumber("max_height", stream.Settings.MaxHeight);
            w.WriteNumber("quality", stream.Settings.Quality);
            w.WriteNumber("frames_in_flight", stream.Streamer.InFlight);
        }

        w.WriteNumber("frames_sent", FramesSent);
        w.WriteNumber("frames_dropped", FramesDropped);
    }

    private sealed class StreamState(FrameStreamer streamer, CancellationTokenSource stop, JpegSettings settings, double fps)
    {
        public FrameStreamer Streamer { get; } = streamer;

        public CancellationTokenSource Stop { get; } = stop;

        public JpegSettings Settings { get; } = settings;

        public double Fps { get; } = fps;

        public Thread? Thread { get; set; }
    }
}
