using Microsoft.Extensions.Logging;

namespace Meowstik.Agent;

/// <summary>Accounts for a message from the hub that the agent could not use: counted by reason and logged.</summary>
internal static class InboundRejects
{
    public static void Count(AgentInstruments instruments, ILogger logger, string reason, string? detail)
    {
        instruments.Rejected(reason);
        AgentLog.InboundRejected(logger, reason, detail ?? string.Empty);
    }
}
