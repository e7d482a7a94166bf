using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Gpio;

/// <summary>The plugin's meter, <c>Meowstik.Agent.Gpio</c>, and its instruments.</summary>
public static class GpioMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Meowstik.Agent.Gpio";

    /// <summary>Levels written by <c>gpio.write</c> and <c>gpio.pulse</c> (tag <c>action</c>).</summary>
    public const string Writes = "meowstik.agent.gpio.writes";

    /// <summary>Edges seen on watched pins (tag <c>result</c>: <c>reported</c>, <c>filtered</c> (an edge the watch does not report), <c>debounced</c>).</summary>
    public const string Edges = "meowstik.agent.gpio.edges";

    /// <summary>Requests refused (tag <c>code</c>: the error code).</summary>
    public const string Refusals = "meowstik.agent.gpio.refusals";
}

internal sealed class GpioInstruments
{
    public GpioInstruments(IMeterFactory? meterFactory)
    {
        Meter = meterFactory?.Create(GpioMetrics.MeterName) ?? new Meter(GpioMetrics.MeterName);
        Writes = Meter.CreateCounter<long>(GpioMetrics.Writes, "{write}", "GPIO levels written.");
        Edges = Meter.CreateCounter<long>(GpioMetrics.Edges, "{edge}", "Edges seen on watched pins, by result.");
        Refusals = Meter.CreateCounter<long>(GpioMetrics.Refusals, "{request}", "gpio.* requests refused, by error code.");
    }

    public Meter Meter { get; }

    public Counter<long> Writes { get; }

    public Counter<long> Edges { get; }

    public Counter<long> Refusals { get; }
}

internal static partial class GpioLog
{
    [LoggerMessage(7301, LogLevel.Information, "GPIO: opened {PinCount} declared pin(s).")]
    public static partial void Opened(ILogger logger, int pinCount);

    [LoggerMessage(7302, LogLevel.Error, "GPIO: opening the declared pins failed; every gpio.* request answers gpio_unavailable until it succeeds.")]
    public static partial void OpenFailed(ILogger logger, Exception exception);

    [LoggerMessage(7303, LogLevel.Information, "GPIO: {Requester} watches {Pin} ({Edge}, debounce {DebounceMs} ms).")]
    public static partial void WatchStarted(ILogger logger, string requester, string pin, GpioEdge edge, double debounceMs);

    [LoggerMessage(7304, LogLevel.Information, "GPIO: {Requester} stopped watching {Pin}.")]
    public static partial void WatchStopped(ILogger logger, string requester, string pin);

    [LoggerMessage(7305, LogLevel.Warning, "GPIO: the driver failed on {Pin} ({Action}).")]
    public static partial void DriverFailed(ILogger logger, Exception exception, string pin, string action);

    [LoggerMessage(7306, LogLevel.Information, "GPIO: pins put in their safe state (outputs to their SafeValue, PWM stopped).")]
    public static partial void SafeState(ILogger logger);

    [LoggerMessage(7307, LogLevel.Debug, "GPIO: {Pin} {Action} by {Requester}.")]
    public static partial void Changed(ILogger logger, string pin, string action, string requester);
}
