// The smallest useful Meowstik device agent.
//   MinimalAgent <hub-uri> <device-id> <token>      e.g. MinimalAgent ws://127.0.0.1:5000/ws/mesh pi-001 <token>
// (or set MESH_HUB, MESH_DEVICE_ID, MESH_TOKEN). Runs until Ctrl+C; exit code 2 when the hub rejects the token.
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
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var agent = new MeshAgent(
    new MeshAgentOptions { HubUri = new Uri(hub), DeviceId = deviceId, DeviceType = "minimal", Token = token },
    [new SystemCapability()]);
agent.StateChanged += (_, e) => Console.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {e.Previous} -> {e.Current}{(e.Reason is null ? "" : $" ({e.Reason})")}");

await agent.RunAsync(stop.Token);
if (agent.State == AgentState.AuthFailed)
{
    Console.Error.WriteLine($"The hub rejected the token: {agent.StateReason}");
    return 2;
}

return 0;
