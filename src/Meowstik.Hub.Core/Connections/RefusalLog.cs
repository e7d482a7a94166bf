using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>
/// Logs and audits refused connections without letting a flood flood the log: the first refusal of a window is written
/// at once, the rest are counted and summed up in one line (and one audit row) when the next window starts.
/// </summary>
internal sealed partial class RefusalLog
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IAuditSink? _audit;
    private readonly Lock _lock = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private long _suppressed;

    public RefusalLog(ILogger logger, TimeProvider time, IAuditSink? audit)
    {
        _logger = logger;
        _time = time;
        _audit = audit;
    }

    public void Record(string reason, string? remote)
    {
        DateTimeOffset now = _time.GetUtcNow();
        long suppressed;
        lock (_lock)
        {
            if (now - _windowStart < Window)
            {
                _suppressed++;
                return;
            }
            suppressed = _suppressed;
            _suppressed = 0;
            _windowStart = now;
        }
        if (suppressed > 0)
        {
            Log.Suppressed(_logger, suppressed, Window);
            _audit?.TryWrite(AuditRecord.ForAuth(now, "connect", null, null, AuditOutcome.Denied, "refused_summary",
                suppressed.ToString(System.Globalization.CultureInfo.InvariantCulture) + " more refusals in the previous window"));
        }
        Log.Refused(_logger, remote, reason);
        _audit?.TryWrite(AuditRecord.ForAuth(now, "connect", remote, null, AuditOutcome.Denied, reason));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Refused a connection from {Remote}: {Reason} (further refusals in the next 10 s are summed up in one line)")]
        public static partial void Refused(ILogger logger, string? remote, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Refused {Count} more connections in the last {Window}")]
        public static partial void Suppressed(ILogger logger, long count, TimeSpan window);
    }
}
