using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent;

/// <summary>
/// Routes a command/query to the capability owning its action, with bounded concurrency and a per-call deadline.
/// A <c>query</c> runs only actions declared as queries (<see cref="IMeshCapability.QueryActions"/>); a <c>command</c> runs any.
/// Every failure becomes a <see cref="CommandResult"/> failure (unknown_action, forbidden, handler_failed, timeout, overloaded), so
/// the caller always has something to answer with and a bad handler never takes the agent down.
/// </summary>
internal sealed class CommandDispatcher
{
    private readonly Dictionary<string, IMeshCapability> _byAction = new(StringComparer.Ordinal);
    private readonly HashSet<string> _queryActions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots;
    private readonly int _maxPending;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _pending;

    public CommandDispatcher(IEnumerable<IMeshCapability> capabilities, int maxConcurrency, int maxPending, TimeSpan timeout, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, maxConcurrency);
        var names = new List<string>();
        var list = new List<IMeshCapability>();
        var queries = new List<string>();
        var commands = new List<string>();
        var byCapability = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        foreach (IMeshCapability capability in capabilities)
        {
            list.Add(capability);
            AddActions(byCapability, capability);
            if (!names.Contains(capability.Name, StringComparer.Ordinal))
            {
                names.Add(capability.Name);
            }

            foreach (string action in capability.Actions)
            {
                CheckName(capability, action);
                if (_byAction.TryGetValue(action, out IMeshCapability? owner))
                {
                    throw new InvalidOperationException(
                        $"Action '{action}' is handled by both capability '{owner.Name}' and '{capability.Name}'; each action must have one owner.");
                }

                _byAction.Add(action, capability);
            }

            // Only actions the capability really handles can be queries; anything else it names is ignored.
            var declared = new HashSet<string>(capability.QueryActions ?? [], StringComparer.Ordinal);
            foreach (string action in capability.Actions)
            {
                if (declared.Contains(action))
                {
                    _queryActions.Add(action);
                    queries.Add(action);
                }
                else
                {
                    commands.Add(action);
                }
            }
        }

        QueryActions = queries;
        ActionsByCapability = byCapability;
        CommandActions = commands;

        CapabilityNames = names;
        Capabilities = list;
        _slots = new SemaphoreSlim(maxConcurrency, maxConcurrency);
        _maxPending = maxPending;
        _timeout = timeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// The action naming rule (docs/protocol.md, "Action names"): a valid name, and a dotted action only in the capability its
    /// prefix names (<c>gps</c> may not declare <c>can.send</c>). Plain names stay allowed in any capability.
    /// </summary>
    internal static void CheckName(IMeshCapability capability, string action)
    {
        if (ActionName.Validate(action) is { } reason)
        {
            throw new InvalidOperationException(
                $"Capability '{capability.Name}' declares action '{action}', which is not a valid action name: {reason}. "
                + "Use lower-case snake_case, '<capability>.<verb>' for a plugin (e.g. 'can.subscribe') or a plain name (e.g. 'status').");
        }

        if (ActionName.TryGetCapability(action, out ReadOnlySpan<char> prefix) && !prefix.SequenceEqual(capability.Name))
        {
            throw new InvalidOperationException(
                $"Capability '{capability.Name}' declares action '{action}', whose prefix names capability '{prefix}': "
                + $"a dotted action belongs to the capability it names. Rename it '{capability.Name}.{action[(prefix.Length + 1)..]}' or move it to capability '{prefix}'.");
        }
    }

    /// <summary>Each capability name with the actions it handles (advertised as <c>actions</c>), in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> ActionsByCapability { get; }

    // Two capability instances may share a name: their actions are advertised under it together.
    private static void AddActions(List<KeyValuePair<string, IReadOnlyList<string>>> byCapability, IMeshCapability capability)
    {
        int index = byCapability.FindIndex(p => p.Key == capability.Name);
        var actions = index < 0 ? new List<string>() : (List<string>)byCapability[index].Value;
        actions.AddRange(capability.Actions);
        if (index < 0) byCapability.Add(new(capability.Name, actions));
    }

    /// <summary>The distinct capability names, in registration order.</summary>
    public IReadOnlyList<string> CapabilityNames { get; }

    /// <summary>The read-only actions, advertised as <c>queries</c>.</summary>
    public IReadOnlyList<string> QueryActions { get; }

    /// <summary>The state-changing actions, advertised as <c>commands</c>.</summary>
    public IReadOnlyList<string> CommandActions { get; }

    /// <summary>The registered capabilities.</summary>
    public IReadOnlyList<IMeshCapability> Capabilities { get; }

    /// <summary>Requests accepted and not yet answered (waiting for a slot or running).</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Whether some capability handles the action.</summary>
    public bool Handles(string action) => _byAction.ContainsKey(action);

    /// <summary>Runs the request and returns what to answer. Throws only when <paramref name="stopping"/> fires.</summary>
    /// <param name="context">The request.</param>
    /// <param name="requestedTimeout">The sender's <c>timeout_ms</c>, if any; it can shorten, never extend, the configured deadline.</param>
    /// <param name="stopping">The agent's lifetime.</param>
    public async Task<CommandResult> DispatchAsync(CommandContext context, TimeSpan? requestedTimeout, CancellationToken stopping)
    {
        TimeSpan timeout = requestedTimeout is { } asked && asked > TimeSpan.Zero && asked < _timeout ? asked : _timeout;
        if (!_byAction.TryGetValue(context.Action, out IMeshCapability? capability))
        {
            AgentLog.UnknownAction(_logger, context.Action, context.From, context.MessageId);
            return CommandResult.Fail(MeshErrorCodes.UnknownAction, $"No capability of this device handles action '{context.Action}'.");
        }

        // A query must not run a state-changing handler, whatever the hub let through (issue #8, finding 1).
        if (context.Kind == CommandKind.Query && !_queryActions.Contains(context.Action))
        {
            AgentLog.QueryForCommandRefused(_logger, context.Action, context.From, context.MessageId);
            return ActionKinds.QueryRefused(context.Action);
        }

        if (Interlocked.Increment(ref _pending) > _maxPending)
        {
            Interlocked.Decrement(ref _pending);
            AgentLog.DispatcherBusy(_logger, context.Action, context.MessageId, _maxPending);
            return CommandResult.Fail(MeshErrorCodes.Overloaded, "The device has too many requests in progress; try again later.");
        }

        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
        try
        {
            await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
            Task<CommandResult> running;
            try
            {
                running = capability.HandleAsync(context, linked.Token).AsTask();
            }
            catch
            {
                _slots.Release();
                throw;
            }

            // The slot is held until the handler really finishes, even past its deadline, so a handler that
            // ignores cancellation cannot multiply beyond the concurrency bound.
            _ = running.ContinueWith(
                static (task, state) =>
                {
                    _ = task.Exception;
                    ((SemaphoreSlim)state!).Release();
                },
                _slots,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);

            return await running.WaitAsync(linked.Token).ConfigureAwait(false) ?? CommandResult.Ok();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            AgentLog.HandlerTimedOut(_logger, context.Action, capability.Name, context.MessageId, timeout);
            return CommandResult.Fail(MeshErrorCodes.Timeout, $"Action '{context.Action}' did not finish within {timeout.TotalSeconds:0.###} s.");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            AgentLog.HandlerFailed(_logger, ex, context.Action, capability.Name, context.MessageId);
            return CommandResult.Fail(MeshErrorCodes.HandlerFailed, $"Action '{context.Action}' failed on the device.");
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }
}
