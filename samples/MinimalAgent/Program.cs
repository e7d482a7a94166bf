// The smallest useful Meowstik device agent.
//   MinimalAgent <hub-uri> <device-id> <token>      e.g. MinimalAgent ws://127.0.0.1:5000/ws/mesh pi-001 <token>
// (or set MESH_HUB, MESH_DEVICE_ID, MESH_TOKEN). Runs until Ctrl+C; exit code 2 when the hub rejects the token.
using System.Runtime.InteropServices;
using Meowstik.Agent;
using MinimalAgent;

string? hub = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("MESH_HUB");
string? deviceId = args.Length > 1 ? args[1] : Environment.GetEnvironmentVariable("MESH_DEVICE_ID");
string? token = args.Length > 2 ? args[2] : Environment.GetEnvironmentVariable("MESH_TOKEN");
if (hub is null || deviceId is null || token is null)
{
    Console.Error.WriteLine("usage: MinimalAgent <hub-uri> <device-id> <token>   (or MESH_HUB, MESH_DEVICE_ID, MESH_TOKEN)");
    return 1;
}

using var stop = new CancellationTokenSource();

// Ctrl+C and the service manager's SIGTERM both stop the agent gracefully (close frame, outbox accounted).
using PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

MeshAgent agent;
try
{
    agent = new MeshAgent(
        new MeshAgentOptions { HubUri = new Uri(hub, UriKind.Absolute), DeviceId = deviceId, DeviceType = "minimal", Token = token },
        [new SystemCapability()]);
}
catch (Exception ex) when (ex is ArgumentException or UriFormatException)
{
    Console.Error.WriteLine("invalid settings: " + ex.Message);
    return 1;
}

await using var disposeAgent = agent;
agent.StateChanged += (_, e) => Console.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {e.Previous} -> {e.Current}{(e.Reason is null ? "" : $" ({e.Reason})")}");

await agent.RunAsync(stop.Token);
if (agent.State == AgentState.AuthFailed)
{
    Console.Error.WriteLine($"The hub rejected the token: {agent.StateReason}");
    return 2;
}

return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
