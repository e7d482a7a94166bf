using Meowstik.Protocol.Payloads;

namespace Meowstik.Agent.Capabilities;

/// <summary>
/// The pleasant way to write a capability: give it a name and register one handler per action.
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
    public ValueTask<CommandResult> HandleAsync(CommandContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _handlers.TryGetValue(context.Action, out var handler)
            ? handler(context, cancellationToken)
            : ValueTask.FromResult(CommandResult.Fail(MeshErrorCodes.UnknownAction, $"Capability '{Name}' has no action '{context.Action}'."));
    }

    /// <summary>Publishes events or stream chunks for the agent's lifetime. The default does nothing.</summary>
    /// <param name="publisher">Where to publish.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the producer stops.</returns>
    public virtual Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Registers an asynchronous handler for an action.</summary>
    /// <param name="action">The action name.</param>
    /// <param name="handler">The handler.</param>
    protected void Handle(string action, Func<CommandContext, CancellationToken, ValueTask<CommandResult>> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentNullException.ThrowIfNull(handler);
        if (!_handlers.TryAdd(action, handler))
        {
            throw new ArgumentException($"Capability '{Name}' already handles action '{action}'.", nameof(action));
        }
    }

    /// <summary>Registers a synchronous handler for an action (for quick reads that never block).</summary>
    /// <param name="action">The action name.</param>
    /// <param name="handler">The handler.</param>
    protected void Handle(string action, Func<CommandContext, CommandResult> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Handle(action, (ctx, _) => ValueTask.FromResult(handler(ctx)));
    }
}
