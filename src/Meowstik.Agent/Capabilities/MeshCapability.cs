using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>
/// The pleasant way to write a capability: give it a name and register one handler per action.
/// <see cref="Handle(string, Func{CommandContext, CancellationToken, ValueTask{CommandResult}})"/> registers a state-changing
/// command (the safe default); <see cref="HandleQuery(string, Func{CommandContext, CancellationToken, ValueTask{CommandResult}})"/>
/// a read-only query, which is the only kind a <c>query</c> message may run.
/// <code>
/// public sealed class SpeakCapability : MeshCapability
/// {
///     public SpeakCapability() : base("speak")
///     {
///         Handle("speak", async (ctx, ct) =>
///         {
///             await Tts.SayAsync(ctx.GetString("text") ?? "", ct);
///             return CommandResult.Ok();
///         });
///     }
/// }
/// </code>
/// Override <see cref="RunAsync"/> to publish events or streams in the background.
/// </summary>
public abstract class MeshCapability : IMeshCapability, IMeshBackgroundCapability
{
    private readonly Dictionary<string, Func<CommandContext, CancellationToken, ValueTask<CommandResult>>> _handlers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _queries = new(StringComparer.Ordinal);

    /// <summary>Creates the capability.</summary>
    /// <param name="name">The advertised capability name.</param>
    protected MeshCapability(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Actions => _handlers.Keys;

    /// <inheritdoc />
    public IReadOnlyCollection<string> QueryActions => _queries;

    /// <inheritdoc />
    public ValueTask<CommandResult> HandleAsync(CommandContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_handlers.TryGetValue(context.Action, out var handler))
        {
            return ValueTask.FromResult(CommandResult.Fail(MeshErrorCodes.UnknownAction, $"Capability '{Name}' has no action '{context.Action}'."));
        }

        // The dispatcher checks this too; repeating it here protects callers that invoke a capability directly.
        return context.Kind == CommandKind.Query && !_queries.Contains(context.Action)
            ? ValueTask.FromResult(ActionKinds.QueryRefused(context.Action))
            : handler(context, cancellationToken);
    }

    /// <summary>Publishes events or stream chunks for the agent's lifetime. The default does nothing.</summary>
    /// <param name="publisher">Where to publish.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the producer stops.</returns>
    public virtual Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Registers an asynchronous handler for a state-changing command (a <c>query</c> message cannot run it).</summary>
    /// <param name="action">The action name.</param>
    /// <param name="handler">The handler.</param>
    protected void Handle(string action, Func<CommandContext, CancellationToken, ValueTask<CommandResult>> handler) => Add(action, handler);

    /// <summary>Registers a synchronous handler for a state-changing command (a <c>query</c> message cannot run it).</summary>
    /// <param name="action">The action name.</param>
    /// <param name="handler">The handler.</param>
    protected void Handle(string action, Func<CommandContext, CommandResult> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(action, (ctx, _) => ValueTask.FromResult(handler(ctx)));
    }

    /// <summary>
    /// Registers an asynchronous handler for a read-only query: it must not change state, because any caller allowed to
    /// query this device (family tokens included) can run it. A <c>command</c> message may run it too.
    /// </summary>
    /// <param name="action">The action name.</param>
    /// <param name="handler">The handler.</param>
    protected void HandleQuery(string action, Func<CommandContext, CancellationToken, ValueTask<CommandResult>> handler)
    {
        Add(action, handler);
        _queries.Add(action);
    }

    /// <summary>Registers a synchronous handler for a read-only query (see the asynchronous overload).</summary>
    /// <param name="action">The action name.</param>
    /// <param name="handler">The handler.</param>
    protected void HandleQuery(string action, Func<CommandContext, CommandResult> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        HandleQuery(action, (ctx, _) => ValueTask.FromResult(handler(ctx)));
    }

    private void Add(string action, Func<CommandContext, CancellationToken, ValueTask<CommandResult>> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentNullException.ThrowIfNull(handler);
        if (!_handlers.TryAdd(action, handler))
        {
            throw new ArgumentException($"Capability '{Name}' already handles action '{action}'.", nameof(action));
        }
    }
}
