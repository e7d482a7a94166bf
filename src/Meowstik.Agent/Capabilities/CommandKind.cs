namespace Meowstik.Agent;

/// <summary>Whether a request asks the device to do something or to tell something.</summary>
public enum CommandKind
{
    /// <summary>A <c>command</c> message: execute an action.</summary>
    Command,

    /// <summary>A <c>query</c> message: return information.</summary>
    Query,
}
