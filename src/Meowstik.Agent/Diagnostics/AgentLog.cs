using Microsoft.Extensions.Logging;

namespace Meowstik.Agent;

/// <summary>The agent's log lines (source-generated: no boxing, no reflection).</summary>
internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Warning, "No capability handles action '{Action}' (from {From}, message {MessageId}); answering unknown_action.")]
    public static partial void UnknownAction(ILogger logger, string action, string from, string messageId);

    [LoggerMessage(2, LogLevel.Warning, "Refused action '{Action}' (message {MessageId}): {MaxPending} requests already pending; answering overloaded.")]
    public static partial void DispatcherBusy(ILogger logger, string action, string messageId, int maxPending);

    [LoggerMessage(3, LogLevel.Warning, "Action '{Action}' of capability '{Capability}' (message {MessageId}) timed out after {Timeout}; answering timeout.")]
    public static partial void HandlerTimedOut(ILogger logger, string action, string capability, string messageId, TimeSpan timeout);

    [LoggerMessage(4, LogLevel.Error, "Action '{Action}' of capability '{Capability}' (message {MessageId}) threw; answering handler_failed.")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string action, string capability, string messageId);

    [LoggerMessage(5, LogLevel.Warning, "Dropped an outgoing {Type} message ({Reason}).")]
    public static partial void OutboxDropped(ILogger logger, string type, string reason);

    [LoggerMessage(6, LogLevel.Information, "Agent {DeviceId}: {Previous} -> {Current}{Reason}.")]
    public static partial void StateChanged(ILogger logger, string deviceId, AgentState previous, AgentState current, string reason);

    [LoggerMessage(7, LogLevel.Debug, "Dropped a stream chunk ({Reason}).")]
    public static partial void StreamChunkDropped(ILogger logger, string reason);

    [LoggerMessage(8, LogLevel.Warning, "Rejected a message from the hub ({Reason}) {Detail}.")]
    public static partial void InboundRejected(ILogger logger, string reason, string detail);

    [LoggerMessage(9, LogLevel.Debug, "Ignored a '{Type}' message received before registration completed.")]
    public static partial void IgnoredBeforeRegistration(ILogger logger, string type);

    [LoggerMessage(10, LogLevel.Debug, "No pending request matches the {Type} with correlation_id {CorrelationId} from {From} (late or unknown).")]
    public static partial void UnmatchedAnswer(ILogger logger, string type, string correlationId, string from);

    [LoggerMessage(11, LogLevel.Warning, "The hub reported an error {Code}: {Message} (correlation_id {CorrelationId}).")]
    public static partial void HubReportedError(ILogger logger, string code, string message, string correlationId);

    [LoggerMessage(12, LogLevel.Debug, "Closing the WebSocket failed: {Message}.")]
    public static partial void CloseFailed(ILogger logger, string message);

    [LoggerMessage(13, LogLevel.Warning, "Agent {DeviceId} did not stop within the dispose timeout.")]
    public static partial void StopTimedOut(ILogger logger, string deviceId);

    [LoggerMessage(14, LogLevel.Error, "A {Subscriber} subscriber threw; the agent continues.")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception, string subscriber);

    [LoggerMessage(15, LogLevel.Error, "Agent {DeviceId}: the hub rejected the token ({Reason}); not retrying (AuthFailureRetryDelay is not set).")]
    public static partial void AuthFailedStopping(ILogger logger, string deviceId, string reason);

    [LoggerMessage(16, LogLevel.Error, "Agent {DeviceId}: the hub rejected the token ({Reason}); retrying in {Delay}.")]
    public static partial void AuthFailedRetrying(ILogger logger, string deviceId, string reason, TimeSpan delay);

    [LoggerMessage(17, LogLevel.Information, "Agent {DeviceId}: reconnect attempt {Attempt} in {Delay} after: {Reason}.")]
    public static partial void Reconnecting(ILogger logger, string deviceId, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(18, LogLevel.Error, "The background producer of capability '{Capability}' failed; the agent continues.")]
    public static partial void ProducerFailed(ILogger logger, Exception exception, string capability);

    [LoggerMessage(19, LogLevel.Warning, "Agent {DeviceId}: the hub closed this connection because another one registered the same device id (4003); is a second agent running with this id?")]
    public static partial void Replaced(ILogger logger, string deviceId);

    [LoggerMessage(20, LogLevel.Warning, "Refused a query for command action '{Action}' (from {From}, message {MessageId}): a query cannot run a command; answering forbidden.")]
    public static partial void QueryForCommandRefused(ILogger logger, string action, string from, string messageId);

    [LoggerMessage(21, LogLevel.Error, "The receive loop failed; ending this connection and reconnecting.")]
    public static partial void ReceiveLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(22, LogLevel.Debug, "Clamped timeout_ms {Requested} of message {MessageId} to the agent's command timeout {Max}.")]
    public static partial void TimeoutClamped(ILogger logger, long requested, string messageId, TimeSpan max);
}
