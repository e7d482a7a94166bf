using System.Net.WebSockets;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent;

/// <summary>How one connection attempt ended.</summary>
/// <param name="WasOnline">Whether registration succeeded before the end.</param>
/// <param name="AuthRejected">Whether the hub rejected the credentials (no fast retry).</param>
/// <param name="Reason">A readable reason for logs and <see cref="MeshAgent.StateReason"/>.</param>
/// <param name="Error">The exception that ended it, when there was one.</param>
internal readonly record struct ConnectionOutcome(bool WasOnline, bool AuthRejected, string Reason, Exception? Error)
{
    /// <summary>The hub closed the connection: 4001/4004 mean the token was rejected; 4003 is logged (another connection took the id).</summary>
    public static ConnectionOutcome Closed(WebSocket socket, bool wasOnline, ILogger logger, string deviceId)
    {
        int code = socket.CloseStatus is { } status ? (int)status : 0;
        string description = socket.CloseStatusDescription ?? string.Empty;
        bool auth = code is MeshCloseCodes.AuthFailed or MeshCloseCodes.TokenRevoked;
        if (code == MeshCloseCodes.Replaced)
        {
            // Another connection registered this device id: usually a second process with the same id. The backoff
            // keeps growing while the two displace each other, so the fight is slow, and the log says why.
            AgentLog.Replaced(logger, deviceId);
        }

        return new ConnectionOutcome(wasOnline, auth, $"the hub closed the connection ({code} {description})".TrimEnd(), null);
    }
}
