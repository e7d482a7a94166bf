using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>A hosted agent whose token the real hub rejects: the application stops instead of idling, unless told otherwise.</summary>
public sealed class HostedAuthFailureTests : IAsyncLifetime
{
    private MeshTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await MeshTestHub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private IHost BuildHost(RecordingLoggerProvider logs, bool? stopOnAuthFailure = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = _hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "intruder-001",
            ["Meowstik:Agent:Token"] = "not-a-real-token",
            ["Meowstik:Agent:StopApplicationOnAuthFailure"] = stopOnAuthFailure?.ToString(),
        });
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName));
        return builder.Build();
    }

    [Fact]
    public async Task A_rejected_token_stops_the_application_and_the_failure_is_logged_once()
    {
        var logs = new RecordingLoggerProvider();
        using IHost host = BuildHost(logs);
        MeshAgent agent = host.Services.GetRequiredService<MeshAgent>();
        IHostApplicationLifetime lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        // The host's own run task ends: nothing but the agent asked it to stop. (Whether RunAsync also throws is the
        // host's choice: it does not in .NET 10; later versions rethrow a background service's failure.)
        Exception? ended = await Record.ExceptionAsync(() => host.RunAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(ended is null or MeshAuthenticationException, $"the host did not stop by itself: {ended}");

        Assert.Equal(AgentState.AuthFailed, agent.State);
        Assert.True(lifetime.ApplicationStopping.IsCancellationRequested);

        // One report: the host logs the hosted service's exception, which names the device, the reason and the switch.
        var failure = Assert.Single(logs.Entries, e => e.Exception is MeshAuthenticationException && e.Level == LogLevel.Error);
        Assert.Contains("Agent intruder-001 stopped: the hub rejected its token", failure.Exception!.Message);
        Assert.Contains("unauthorized", failure.Exception.Message);
        Assert.Contains("Meowstik:Agent:StopApplicationOnAuthFailure", failure.Exception.Message);
        Assert.DoesNotContain(logs.Entries, e => e.Category.StartsWith("Meowstik.Agent", StringComparison.Ordinal) && e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task With_StopApplicationOnAuthFailure_false_the_application_keeps_running()
    {
        var logs = new RecordingLoggerProvider();
        using IHost host = BuildHost(logs, stopOnAuthFailure: false);
        await host.StartAsync();
        MeshAgent agent = host.Services.GetRequiredService<MeshAgent>();
        await agent.WaitForStateAsync(AgentState.AuthFailed).WaitAsync(TimeSpan.FromSeconds(20));

        await Task.Delay(300);
        Assert.False(host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        Assert.Single(logs.Entries, e => e.Category.StartsWith("Meowstik.Agent", StringComparison.Ordinal) && e.Level == LogLevel.Error && e.Message.Contains("not retrying"));
        Assert.DoesNotContain(logs.Entries, e => e.Exception is MeshAuthenticationException);
        await host.StopAsync();
    }

    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        private readonly List<Entry> _entries = [];

        public IReadOnlyList<Entry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

        private sealed class Logger(RecordingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._entries)
                {
                    owner._entries.Add(new Entry(category, logLevel, formatter(state, exception), exception));
                }
            }
        }
    }
}
