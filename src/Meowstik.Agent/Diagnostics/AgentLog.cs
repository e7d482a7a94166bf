using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Diagnostics;

/// <summary>The agent's log lines (source-generated: no boxing, no reflection).</summary>
internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Warning, "No capability handles action '{Action}' (from {From}, message {MessageId}); answering unknown_action.")]
    public static partial void UnknownAction(ILogger logger, string action, string from, string messageId);

    [LoggerMessage(2, LogLevel.Warning, "Refused action '{Action}' (message {MessageId}): {MaxPending} requests already pending; answering busy.")]
    public static partial void DispatcherBusy(ILogger logger, string action, string messageId, int maxPending);

    [LoggerMessage(3, LogLevel.Warning, "Action '{Action}' of capability '{Capability}' (message {MessageId}) timed out after {Timeout}; answering timeout.")]
    public static partial void HandlerTimedOut(ILogger logger, string action, string capability, string messageId, TimeSpan timeout);

    [LoggerMessage(4, LogLevel.Error, "Action '{Action}' of capability '{Capability}' (message {MessageId}) threw; answering handler_failed.")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string action, string capability, string messageId);

    [LoggerMessage(5, LogLevel.Warning, "Dropped an outgoing {Type} message ({Reason}).")]
    public static partial void OutboxDropped(ILogger logger, string type, string reason);

    [LoggerMessage(6, LogLevel.Information, "Agent {DeviceId}: {Previous} -> {Current}{Reason}.")]
    public static partial void StateChanged(ILogger logger, string deviceId, AgentState previous, AgentState current, string reason);
}
