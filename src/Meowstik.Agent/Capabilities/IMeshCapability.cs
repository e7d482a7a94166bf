namespace Meowstik.Agent;

/// <summary>
/// A capability: a name the agent advertises (e.g. <c>gps</c>, <c>speak</c>) and the actions it handles.
/// Most capabilities derive from <see cref="MeshCapability"/>; implement this interface directly for full control.
/// </summary>
public interface IMeshCapability
{
    /// <summary>The capability name advertised in <c>register</c>.</summary>
    string Name { get; }

    /// <summary>The <c>payload.action</c> values this capability handles. Each action belongs to one capability per agent.</summary>
    IReadOnlyCollection<string> Actions { get; }

    /// <summary>
    /// The actions (a subset of <see cref="Actions"/>) that are read-only queries; every other action is a state-changing
    /// command. The agent advertises both lists in <c>register</c> and refuses a <c>query</c> message naming a command
    /// (<c>forbidden</c>), so a query-only caller cannot run it. Default: none, the safe choice for existing implementers.
    /// </summary>
    IReadOnlyCollection<string> QueryActions => [];

    /// <summary>Handles one command or query. Exceptions become <c>handler_failed</c> errors; the agent keeps running.</summary>
    /// <param name="context">The request.</param>
    /// <param name="cancellationToken">Cancelled at the command timeout or when the agent stops.</param>
    /// <returns>The result to answer with.</returns>
    ValueTask<CommandResult> HandleAsync(CommandContext context, CancellationToken cancellationToken);
}
