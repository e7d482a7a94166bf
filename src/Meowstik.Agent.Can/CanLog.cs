using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Can;

/// <summary>The CAN plugin's log lines (source-generated: no boxing, no reflection).</summary>
internal static partial class CanLog
{
    [LoggerMessage(1, LogLevel.Information, "CAN: reading {Interface} ({Source}){Dbc}.")]
    public static partial void Started(ILogger logger, string @interface, string source, string dbc);

    [LoggerMessage(2, LogLevel.Information, "CAN: {From} subscribed ({SubscriptionId}, {Mode}, {IdCount} ids, {RateHz} Hz).")]
    public static partial void Subscribed(ILogger logger, string from, string subscriptionId, string mode, int idCount, double rateHz);

    [LoggerMessage(3, LogLevel.Information, "CAN: {From} unsubscribed {Count} subscription(s).")]
    public static partial void Unsubscribed(ILogger logger, string from, int count);

    [LoggerMessage(4, LogLevel.Warning, "CAN: refused can.send from {From}: {Code} ({Reason}).")]
    public static partial void SendRefused(ILogger logger, string from, string code, string reason);

    [LoggerMessage(5, LogLevel.Information, "CAN: {From} sent {Frame} on {Interface}.")]
    public static partial void Sent(ILogger logger, string from, string frame, string @interface);

    [LoggerMessage(6, LogLevel.Error, "CAN: reading {Interface} failed; the capability stops streaming.")]
    public static partial void SourceFailed(ILogger logger, Exception exception, string @interface);

    [LoggerMessage(7, LogLevel.Information, "CAN: the source {Interface} ended.")]
    public static partial void SourceEnded(ILogger logger, string @interface);
}
