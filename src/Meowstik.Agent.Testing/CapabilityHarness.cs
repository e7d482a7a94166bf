using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Agent.Testing;

/// <summary>Settings of a <see cref="CapabilityHarness"/>; the defaults are the agent's (<see cref="MeshAgentOptions"/>).</summary>
public sealed class CapabilityHarnessOptions
{
    /// <summary>The clock the dispatcher's deadlines run on; a new <see cref="FakeTimeProvider"/> when null (time only moves when the test advances it).</summary>
    public FakeTimeProvider? Time { get; set; }

    /// <summary>The publisher capabilities see (<see cref="CommandContext.Publisher"/>, <c>RunAsync</c>); a new one when null.</summary>
    public RecordingMeshPublisher? Publisher { get; set; }

    /// <summary>The per-call deadline (<see cref="MeshAgentOptions.CommandTimeout"/>, default 30 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Handlers running at once (<see cref="MeshAgentOptions.MaxConcurrentCommands"/>, default 8).</summary>
    public int MaxConcurrentCommands { get; set; } = 8;

    /// <summary>Requests accepted and not yet answered (<see cref="MeshAgentOptions.MaxPendingCommands"/>, default 256).</summary>
    public int MaxPendingCommands { get; set; } = 256;

    /// <summary>The requester every call comes from unless it says otherwise (<see cref="CommandContext.From"/>).</summary>
    public string From { get; set; } = "controller-001";

    /// <summary>Where the dispatcher logs (unknown actions, timeouts, handler failures); nowhere when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

/// <summary>
/// Sends commands and queries to capabilities exactly as the agent's dispatcher does (the same dispatcher: action lookup,
/// the query/command kind check, the concurrency bound and the per-call deadline, failures turned into results), without a
/// hub or a socket. Deadlines run on a <see cref="FakeTimeProvider"/> (<see cref="Time"/>); what the capability publishes
/// lands in a <see cref="RecordingMeshPublisher"/> (<see cref="Publisher"/>). Creating it checks the action names as the
/// agent does at start.
/// </summary>
/// <example>
/// <code>
/// await using var harness = new CapabilityHarness(new CanCapability(bus));
/// CommandResult stats = await harness.QueryAsync("can.stats");
/// Assert.True(stats.IsSuccess);
/// Task&lt;CommandResult&gt; slow = harness.CommandAsync("can.send", MeshJson.Raw("""{"id":291}"""));
/// harness.Time.Advance(TimeSpan.FromSeconds(31));
/// Assert.Equal(MeshErrorCodes.Timeout, (await slow).ErrorCode);
/// </code>
/// </example>
public sealed class CapabilityHarness : IAsyncDisposable
{
    private readonly CommandDispatcher _dispatcher;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _background = [];
    private readonly string _from;
    private long _messages;

    /// <summary>A harness around one capability with the agent's defaults.</summary>
    /// <param name="capability">The capability under test.</param>
    /// <exception cref="ArgumentException">An action name breaks the naming rule, or two capabilities claim one action (as <see cref="MeshAgent"/> refuses).</exception>
    public CapabilityHarness(IMeshCapability capability)
        : this([capability], new CapabilityHarnessOptions())
    {
    }

    /// <summary>A harness around several capabilities (one simulated agent).</summary>
    /// <param name="capabilities">The capabilities, as given to <see cref="MeshAgent"/>.</param>
    /// <param name="options">Clock, publisher, limits.</param>
    /// <exception cref="ArgumentException">An action name breaks the naming rule, or two capabilities claim one action.</exception>
    public CapabilityHarness(IEnumerable<IMeshCapability> capabilities, CapabilityHarnessOptions options)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        ArgumentNullException.ThrowIfNull(options);
        Time = options.Time ?? new FakeTimeProvider();
        Publisher = options.Publisher ?? new RecordingMeshPublisher(time: Time);
        _from = options.From;
        ILogger logger = options.LoggerFactory?.CreateLogger("Meowstik.Agent.Dispatch") ?? NullLogger.Instance;
        try
        {
            _dispatcher = new CommandDispatcher(capabilities, options.MaxConcurrentCommands, options.MaxPendingCommands, options.CommandTimeout, Time, logger);
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException(ex.Message, nameof(capabilities), ex);
        }
    }

    /// <summary>The clock the deadlines run on: advance it to make a slow handler time out.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>What the capabilities published and asked other devices.</summary>
    public RecordingMeshPublisher Publisher { get; }

    /// <summary>The read-only actions, as the agent would advertise them in <c>queries</c>.</summary>
    public IReadOnlyList<string> Queries => _dispatcher.QueryActions;

    /// <summary>The state-changing actions, as the agent would advertise them in <c>commands</c>.</summary>
    public IReadOnlyList<string> Commands => _dispatcher.CommandActions;

    /// <summary>Each capability with its actions, as the agent would advertise them in <c>actions</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> Actions => _dispatcher.ActionsByCapability;

    /// <summary>Requests running or waiting for a slot.</summary>
    public int Pending => _dispatcher.Pending;

    /// <summary>Sends a <c>command</c> (it may run any action) and returns what the agent would answer with.</summary>
    /// <param name="action">The action.</param>
    /// <param name="parameters">The <c>params</c>; none when <see cref="MeshJson.None"/>.</param>
    /// <param name="timeout">The sender's <c>timeout_ms</c>: shortens, never extends, the command timeout.</param>
    /// <returns>The result; failures (unknown_action, forbidden, handler_failed, timeout, overloaded) are results too.</returns>
    public Task<CommandResult> CommandAsync(string action, MeshJson parameters = default, TimeSpan? timeout = null) =>
        SendAsync(CommandKind.Command, action, parameters, timeout, _from);

    /// <summary>Sends a <c>query</c>: refused with <c>forbidden</c>, without running the handler, unless the action is a query.</summary>
    /// <param name="action">The action.</param>
    /// <param name="parameters">The <c>params</c>; none when <see cref="MeshJson.None"/>.</param>
    /// <param name="timeout">The sender's <c>timeout_ms</c>: shortens, never extends, the command timeout.</param>
    /// <returns>The result.</returns>
    public Task<CommandResult> QueryAsync(string action, MeshJson parameters = default, TimeSpan? timeout = null) =>
        SendAsync(CommandKind.Query, action, parameters, timeout, _from);

    /// <summary>Sends a command or query from a given requester.</summary>
    /// <param name="kind">Command or query.</param>
    /// <param name="action">The action.</param>
    /// <param name="parameters">The <c>params</c>.</param>
    /// <param name="timeout">The sender's <c>timeout_ms</c>, or null.</param>
    /// <param name="from">The requester (<see cref="CommandContext.From"/>).</param>
    /// <returns>The result.</returns>
    public Task<CommandResult> SendAsync(CommandKind kind, string action, MeshJson parameters, TimeSpan? timeout, string from)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentException.ThrowIfNullOrWhiteSpace(from);
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        JsonElement parameterElement = parameters.IsNone ? default : parameters.ToElement();
        JsonElement payload = MeshJson.Object(w =>
        {
            w.WriteString("action", action);
            if (!parameters.IsNone)
            {
                w.WritePropertyName("params");
                parameters.WriteTo(w);
            }
        }).ToElement();
        string id = $"msg_test_{Interlocked.Increment(ref _messages)}";
        var context = new CommandContext(kind, action, id, from, parameterElement, payload, Publisher);
        return _dispatcher.DispatchAsync(context, timeout, _stopping.Token);
    }

    /// <summary>
    /// Starts the background work of every capability that has some (<see cref="IMeshBackgroundCapability.RunAsync"/>,
    /// e.g. a <see cref="MeshCapability"/> override) with <see cref="Publisher"/>, as the agent does when it runs. It stops
    /// when the harness is disposed; exceptions surface from <see cref="DisposeAsync"/>.
    /// </summary>
    /// <param name="capabilities">The capabilities whose background work to start (those given to the constructor, normally).</param>
    public void StartBackground(params IMeshCapability[] capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        foreach (IMeshCapability capability in capabilities)
        {
            if (capability is IMeshBackgroundCapability producer)
            {
                _background.Add(Task.Run(() => producer.RunAsync(Publisher, _stopping.Token)));
            }
        }
    }

    /// <summary>Cancels running handlers and background work (as the agent stopping would) and waits for background work to end.</summary>
    /// <returns>A task that completes when the background work stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_background).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Background work ends by cancellation.
        }
        finally
        {
            _stopping.Dispose();
        }
    }
}
