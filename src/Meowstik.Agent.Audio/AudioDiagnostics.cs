using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Audio;

/// <summary>The names of the plugin's meter and instruments.</summary>
public static class AudioMetrics
{
    /// <summary>The meter: <c>Meowstik.Agent.Audio</c>.</summary>
    public const string MeterName = "Meowstik.Agent.Audio";

    /// <summary>Opus chunks queued for sending (<c>{chunk}</c>).</summary>
    public const string ChunksSent = "meowstik.agent.audio.chunks";

    /// <summary>Clips played by <c>speak</c> and <c>audio.play</c>, tagged <c>action</c> (<c>{clip}</c>).</summary>
    public const string ClipsPlayed = "meowstik.agent.audio.clips";

    /// <summary>Seconds of sound played (<c>s</c>).</summary>
    public const string PlayedSeconds = "meowstik.agent.audio.played";
}

internal sealed class AudioInstruments
{
    public AudioInstruments(IMeterFactory? factory)
    {
        Meter meter = factory?.Create(AudioMetrics.MeterName) ?? new Meter(AudioMetrics.MeterName);
        ChunksSent = meter.CreateCounter<long>(AudioMetrics.ChunksSent, "{chunk}", "Opus chunks queued for sending.");
        ClipsPlayed = meter.CreateCounter<long>(AudioMetrics.ClipsPlayed, "{clip}", "Clips played by speak and audio.play.");
        PlayedSeconds = meter.CreateCounter<double>(AudioMetrics.PlayedSeconds, "s", "Seconds of sound played.");
    }

    public Counter<long> ChunksSent { get; }

    public Counter<long> ClipsPlayed { get; }

    public Counter<double> PlayedSeconds { get; }
}

internal static partial class AudioLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Audio stream started from {Source} ({SampleRate} Hz, {Channels} ch, requested by {Requester})")]
    public static partial void StreamStarted(ILogger logger, string source, int sampleRate, int channels, string requester);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Audio stream ended: {Chunks} chunks ({Reason})")]
    public static partial void StreamEnded(ILogger logger, long chunks, string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Audio stream from {Source} failed")]
    public static partial void StreamFailed(ILogger logger, Exception exception, string source);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "Played {Action}: {DurationMs} ms on {Sink}")]
    public static partial void Played(ILogger logger, string action, long durationMs, string sink);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "{Action} failed on {Sink}")]
    public static partial void PlayFailed(ILogger logger, Exception exception, string action, string sink);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Text-to-speech failed")]
    public static partial void TtsFailed(ILogger logger, Exception exception);
}
