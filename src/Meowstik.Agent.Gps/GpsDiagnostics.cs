using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Gps;

/// <summary>The plugin's meter, <c>Meowstik.Agent.Gps</c>, and its instruments.</summary>
public static class GpsMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Meowstik.Agent.Gps";

    /// <summary>Fixes read from the source (tag <c>fix</c>: none, 2d, 3d).</summary>
    public const string Fixes = "meowstik.agent.gps.fixes";

    /// <summary>NMEA sentences read (tag <c>result</c>: ok, unsupported, bad_checksum, missing_checksum, malformed).</summary>
    public const string NmeaSentences = "meowstik.agent.gps.nmea.sentences";

    /// <summary>Times a source lost its connection (gpsd, serial port) and reconnected.</summary>
    public const string Reconnects = "meowstik.agent.gps.reconnects";

    /// <summary>Stream chunks sent to <c>gps.track</c> requesters.</summary>
    public const string TrackChunks = "meowstik.agent.gps.track.chunks";
}

internal sealed class GpsInstruments
{
    public GpsInstruments(IMeterFactory? meterFactory)
    {
        Meter meter = meterFactory?.Create(GpsMetrics.MeterName) ?? new Meter(GpsMetrics.MeterName);
        Fixes = meter.CreateCounter<long>(GpsMetrics.Fixes, "{fix}", "GPS fixes read from the source.");
        NmeaSentences = meter.CreateCounter<long>(GpsMetrics.NmeaSentences, "{sentence}", "NMEA sentences read, by parse result.");
        Reconnects = meter.CreateCounter<long>(GpsMetrics.Reconnects, "{reconnect}", "GPS source reconnects.");
        TrackChunks = meter.CreateCounter<long>(GpsMetrics.TrackChunks, "{chunk}", "gps.track stream chunks sent.");
    }

    public Counter<long> Fixes { get; }

    public Counter<long> NmeaSentences { get; }

    public Counter<long> Reconnects { get; }

    public Counter<long> TrackChunks { get; }

    public static string Tag(NmeaParseStatus status) => status switch
    {
        NmeaParseStatus.Ok => "ok",
        NmeaParseStatus.Unsupported => "unsupported",
        NmeaParseStatus.BadChecksum => "bad_checksum",
        NmeaParseStatus.MissingChecksum => "missing_checksum",
        _ => "malformed",
    };
}

internal static partial class GpsLog
{
    [LoggerMessage(1, LogLevel.Information, "GPS source {Source} connected.")]
    public static partial void Connected(ILogger logger, string source);

    [LoggerMessage(2, LogLevel.Warning, "GPS source {Source} failed ({Reason}); retrying in {DelayMs} ms.")]
    public static partial void Retrying(ILogger logger, string source, string reason, long delayMs);

    [LoggerMessage(3, LogLevel.Debug, "GPS source {Source}: dropped a line ({Reason}).")]
    public static partial void LineDropped(ILogger logger, string source, string reason);

    [LoggerMessage(4, LogLevel.Information, "gps.track: streaming to {Requester} at {RateHz} Hz.")]
    public static partial void TrackStarted(ILogger logger, string requester, double rateHz);

    [LoggerMessage(5, LogLevel.Information, "gps.track: stopped streaming to {Requester}.")]
    public static partial void TrackStopped(ILogger logger, string requester);

    [LoggerMessage(6, LogLevel.Error, "GPS source {Source} stopped with an error; restarting in {DelayMs} ms.")]
    public static partial void SourceFailed(ILogger logger, Exception exception, string source, long delayMs);

    [LoggerMessage(7, LogLevel.Information, "GPS source {Source} ended.")]
    public static partial void SourceEnded(ILogger logger, string source);
}
