using System.Text.Json;
using Meowstik.Agent;

namespace Meowstik.Agent.Tests;

/// <summary>Helpers to build agents and contexts for unit tests (the agents are real but never started).</summary>
internal static class TestAgents
{
    public static MeshAgentOptions Options(string deviceId = "test-001", Uri? hub = null) => new()
    {
        HubUri = hub ?? new Uri("ws://127.0.0.1:9/ws/mesh"),
        DeviceId = deviceId,
        Token = "test-token",
    };

    public static MeshAgent Idle(IEnumerable<IMeshCapability>? capabilities = null) => new(Options(), capabilities);

    public static CommandContext Context(IMeshPublisher publisher, string action, string paramsJson = "{}", string id = "msg_1_a", CommandKind kind = CommandKind.Command)
    {
        JsonElement parameters = JsonDocument.Parse(paramsJson).RootElement.Clone();
        JsonElement payload = JsonDocument.Parse($$"""{"action":"{{action}}","params":{{paramsJson}}}""").RootElement.Clone();
        return new CommandContext(kind, action, id, "controller-001", parameters, payload, publisher);
    }
}
