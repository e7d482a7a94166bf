using System.Text.Json;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Routing;

public sealed class CommandRoutingTests
{
    [Fact]
    public async Task Command_is_routed_to_the_target_and_the_response_back_by_correlation_id()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient alexa = await host.ConnectDeviceAsync("alexa-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["alexa-001"]);

        await desktop.SendAsync("""{"id":"cmd-1","type":"command","to":"alexa-001","payload":{"action":"speak","params":{"text":"hi","volume":80}}}""");
        JsonElement command = await alexa.ReceiveTypeAsync("command");
        Assert.Equal("cmd-1", command.Str("id"));
        Assert.Equal("desktop-001", command.Str("from"));
        Assert.Equal("speak", command.Payload().Str("action"));
        Assert.Equal(80, command.Payload().GetProperty("params").GetProperty("volume").GetInt32());
        Assert.NotNull(command.Str("timestamp"));

        await alexa.SendAsync("""{"id":"resp-1","type":"response","correlation_id":"cmd-1","payload":{"action":"speak","result":{"spoken":true}}}""");
        JsonElement response = await desktop.ReceiveTypeAsync("response");
        Assert.Equal("cmd-1", response.Str("correlation_id"));
        Assert.Equal("alexa-001", response.Str("from"));
        Assert.Equal("desktop-001", response.Str("to"));
        Assert.True(response.Payload().GetProperty("result").GetProperty("spoken").GetBoolean());
        Assert.Equal(0, host.Hub.PendingRequestCount);
    }

    [Fact]
    public async Task Original_bytes_are_forwarded_when_from_id_and_timestamp_are_already_right()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient alexa = await host.ConnectDeviceAsync("alexa-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["alexa-001"]);

        // Unusual spacing and an extension field survive only if the bytes are forwarded untouched.
        const string original = """{ "id":"cmd-raw", "type":"command", "from":"desktop-001", "to":"alexa-001", "timestamp":"2026-01-19T12:00:00.000Z", "x_trace":"keep-me", "payload":{"action":"speak"} }""";
        await desktop.SendAsync(original);
        JsonElement command = await alexa.ReceiveTypeAsync("command");
        Assert.Equal("keep-me", command.Str("x_trace"));
        Assert.Equal("2026-01-19T12:00:00.000Z", command.Str("timestamp"));
    }

    [Fact]
    public async Task Host_sends_a_command_and_awaits_the_typed_response()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient car = await host.ConnectDeviceAsync("comma3x-001");

        Task<MeshReply> pending = host.Hub.QueryAsync("comma3x-001", "status");
        JsonElement query = await car.ReceiveTypeAsync("query");
        Assert.Equal("hub", query.Str("from"));
        Assert.Equal("status", query.Payload().Str("action"));
        await car.SendAsync($$$"""{"type":"response","correlation_id":"{{{query.Str("id")}}}","payload":{"speed_mph":65,"eta_minutes":12}}""");

        MeshReply response = await pending.WaitAsync(TestMeshClient.DefaultTimeout);
        Assert.Equal("comma3x-001", response.From);
        Assert.Equal(65, response.Payload.GetProperty("speed_mph").GetInt32());
        Assert.Equal(query.Str("id"), response.CorrelationId);

        // The response is kept as last-known state per action.
        Assert.Equal(12, host.Hub.GetDeviceState("comma3x-001")!.LastResponses["status"].Value.GetProperty("eta_minutes").GetInt32());
    }
}
