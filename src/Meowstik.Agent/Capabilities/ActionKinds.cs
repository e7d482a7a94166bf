using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>The rule that a <c>query</c> message may run only a query action (issue #8: a query ran a command handler).</summary>
internal static class ActionKinds
{
    /// <summary>The answer to a <c>query</c> naming a command action.</summary>
    public static CommandResult QueryRefused(string action) => CommandResult.Fail(
        MeshErrorCodes.Forbidden,
        $"Action '{action}' is a command: it changes state and cannot be run by a query. Send it as a command.");
}
