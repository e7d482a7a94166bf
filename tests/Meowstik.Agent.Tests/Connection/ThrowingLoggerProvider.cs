using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Tests.Connection;

/// <summary>
/// A logging sink that fails once, on demand, for one event id: a real-world fault (a broken log sink) that throws from
/// inside the agent's receive loop without any test hook in the agent.
/// </summary>
internal sealed class ThrowingLoggerProvider : ILoggerProvider
{
    private int _armedEventId = -1;

    public int Thrown { get; private set; }

    /// <summary>The next log line with <paramref name="eventId"/> throws (once).</summary>
    public void ArmOnce(int eventId) => Volatile.Write(ref _armedEventId, eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(ThrowingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == Volatile.Read(ref owner._armedEventId) && Interlocked.Exchange(ref owner._armedEventId, -1) == eventId.Id)
            {
                owner.Thrown++;
                throw new InvalidOperationException("log sink failed");
            }
        }
    }
}
