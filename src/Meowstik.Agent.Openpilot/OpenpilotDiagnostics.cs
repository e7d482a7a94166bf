using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Openpilot;

/// <summary>The plugin's meter, <c>Meowstik.Agent.Openpilot</c>, and its instruments.</summary>
public static class OpenpilotMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Meowstik.Agent.Openpilot";

    /// <summary>Messages decoded (tag <c>result</c>: ok, unknown (a tag this plugin does not read), or the <see cref="CapnpError"/> in snake_case).</summary>
    public const string Messages = "meowstik.agent.openpilot.messages";

    /// <summary>msgq queue reads (tag <c>status</c>: message, no_new_message, missing, overwritten, corrupt).</summary>
    public const string Reads = "meowstik.agent.openpilot.msgq.reads";

    /// <summary>Stream chunks sent to <c>openpilot.subscribe</c> requesters.</summary>
    public const string StreamChunks = "meowstik.agent.openpilot.stream.chunks";
}

internal sealed class OpenpilotInstruments
{
    public OpenpilotInstruments(IMeterFactory? meterFactory)
    {
        Meter meter = meterFactory?.Create(OpenpilotMetrics.MeterName) ?? new Meter(OpenpilotMetrics.MeterName);
        Messages = meter.CreateCounter<long>(OpenpilotMetrics.Messages, "{message}", "openpilot messages decoded, by result.");
        Reads = meter.CreateCounter<long>(OpenpilotMetrics.Reads, "{read}", "msgq queue reads, by status.");
        StreamChunks = meter.CreateCounter<long>(OpenpilotMetrics.StreamChunks, "{chunk}", "openpilot.subscribe stream chunks sent.");
    }

    public Counter<long> Messages { get; }

    public Counter<long> Reads { get; }

    public Counter<long> StreamChunks { get; }

    public static string Tag(MsgqReadStatus status) => status switch
    {
        MsgqReadStatus.Message => "message",
        MsgqReadStatus.NoNewMessage => "no_new_message",
        MsgqReadStatus.Missing => "missing",
        MsgqReadStatus.Overwritten => "overwritten",
        _ => "corrupt",
    };

    public static string Tag(CapnpError error) => error switch
    {
        CapnpError.None => "ok",
        CapnpError.Truncated => "truncated",
        CapnpError.BadSegmentTable => "bad_segment_table",
        CapnpError.OutOfBounds => "out_of_bounds",
        CapnpError.UnexpectedPointer => "unexpected_pointer",
        CapnpError.BadFarPointer => "bad_far_pointer",
        CapnpError.NestingLimit => "nesting_limit",
        _ => "bad_text",
    };
}

internal static partial class OpenpilotLog
{
    [LoggerMessage(1, LogLevel.Information, "openpilot source {Source} started (services {Services}).")]
    public static partial void Started(ILogger logger, string source, string services);

    [LoggerMessage(2, LogLevel.Debug, "openpilot {Service}: dropped a message ({Error}).")]
    public static partial void Dropped(ILogger logger, string service, CapnpError error);

    [LoggerMessage(3, LogLevel.Information, "openpilot.subscribe: streaming to {Requester} at {RateHz} Hz.")]
    public static partial void SubscribeStarted(ILogger logger, string requester, double rateHz);

    [LoggerMessage(4, LogLevel.Information, "openpilot.subscribe: stopped streaming to {Requester}.")]
    public static partial void SubscribeStopped(ILogger logger, string requester);

    [LoggerMessage(5, LogLevel.Error, "openpilot source {Source} failed; restarting in {DelayMs} ms.")]
    public static partial void SourceFailed(ILogger logger, Exception exception, string source, long delayMs);
}
