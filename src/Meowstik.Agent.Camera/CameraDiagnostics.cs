using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Camera;

/// <summary>The plugin's meter, <c>Meowstik.Agent.Camera</c>, and its instruments.</summary>
public static class CameraMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Meowstik.Agent.Camera";

    /// <summary>Stream frames handed to the agent.</summary>
    public const string FramesSent = "meowstik.agent.camera.frames";

    /// <summary>Stream frames dropped (tag <c>reason</c>: <c>slow_link</c>, a newer frame replaced it; <c>offline</c>, the agent refused it).</summary>
    public const string FramesDropped = "meowstik.agent.camera.frames.dropped";

    /// <summary>Snapshots taken (tag <c>output</c>: <c>inline</c>, <c>image_ref</c>).</summary>
    public const string Snapshots = "meowstik.agent.camera.snapshots";

    /// <summary>Grabs that failed (tag <c>code</c>: the <see cref="CameraException.Code"/>).</summary>
    public const string Errors = "meowstik.agent.camera.errors";
}

internal sealed class CameraInstruments
{
    public CameraInstruments(IMeterFactory? meterFactory)
    {
        Meter meter = meterFactory?.Create(CameraMetrics.MeterName) ?? new Meter(CameraMetrics.MeterName);
        FramesSent = meter.CreateCounter<long>(CameraMetrics.FramesSent, "{frame}", "Camera stream frames handed to the agent.");
        FramesDropped = meter.CreateCounter<long>(CameraMetrics.FramesDropped, "{frame}", "Camera stream frames dropped, by reason.");
        Snapshots = meter.CreateCounter<long>(CameraMetrics.Snapshots, "{snapshot}", "Camera snapshots taken.");
        Errors = meter.CreateCounter<long>(CameraMetrics.Errors, "{error}", "Camera grabs that failed, by code.");
    }

    public Counter<long> FramesSent { get; }

    public Counter<long> FramesDropped { get; }

    public Counter<long> Snapshots { get; }

    public Counter<long> Errors { get; }
}

internal static partial class CameraLog
{
    [LoggerMessage(1, LogLevel.Information, "camera.stream: started ({Source}, {Fps} frames/s, up to {Width}x{Height}, quality {Quality}).")]
    public static partial void StreamStarted(ILogger logger, string source, double fps, int width, int height, int quality);

    [LoggerMessage(2, LogLevel.Information, "camera.stream: stopped after {Sent} frames ({Dropped} dropped).")]
    public static partial void StreamStopped(ILogger logger, long sent, long dropped);

    [LoggerMessage(3, LogLevel.Warning, "camera.stream: a grab from {Source} failed ({Code}: {Reason}); retrying in {DelayMs} ms.")]
    public static partial void GrabFailed(ILogger logger, string source, string code, string reason, long delayMs);

    [LoggerMessage(4, LogLevel.Warning, "camera.snapshot: could not delete the old snapshot {File}.")]
    public static partial void PruneFailed(ILogger logger, Exception exception, string file);
}
