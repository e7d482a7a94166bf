using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Routing;

/// <summary>
/// Every error the hub sends in answer to a message carries that message's id as <c>correlation_id</c>, so the sender can
/// fail the right request at once. One test per error code the hub emits; only a message that could not be read far enough
/// to find its id (unreadable JSON, a message discarded unread for its size) gets an error without one.
/// </summary>
public sealed class ErrorCorrelationTests
{
    private const string Register = """{"id":"reg-1","type":"register","from":"tv-001","payload":{"capabilities":["test"]}}""";

    [Fact]
    public async Task Rate_limited_answers_the_dropped_message_by_its_id()
    {
        // A burst of one: the register message takes it, and the bucket refills once every 1,000 s.
        await using MeshTestHub host = await MeshTestHub.StartAsync(o =>
        {
            o.RateLimitBurst = 1;
            o.RateLimitPerSecond = 0.001;
        });
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["tv-001"]);

        await desktop.SendAsync("""{"id":"cmd-9","type":"query","to":"tv-001","payload":{"action":"status"}}""");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "rate_limited", "cmd-9");
    }

    [Fact]
    public async Task Unauthorized_answers_the_register_message()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient stranger = await host.ConnectAsync();

        string wrong = AuthManager.SecretPrefix + new string('Q', AuthManager.SecretLength - AuthManager.SecretPrefix.Length);
        await stranger.SendAsync($$$"""{"id":"reg-bad","type":"register","from":"tv-001","payload":{"capabilities":[],"auth_token":"{{{wrong}}}"}}""");

        AssertAnswers(await stranger.ReceiveTypeAsync("error"), "unauthorized", "reg-bad");
    }

    [Fact]
    public async Task Forbidden_answers_a_command_the_token_may_not_send()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        await desktop.SendAsync("""{"id":"no-grant","type":"command","to":"tv-001","payload":{"action":"power"}}""");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "forbidden", "no-grant");
    }

    [Fact]
    public async Task Forbidden_answers_a_spoofed_from()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        await desktop.SendAsync("""{"id":"spoof-1","type":"event","from":"tv-001","payload":{"event":"motion"}}""");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "forbidden", "spoof-1");
    }

    [Fact]
    public async Task Device_offline_answers_a_request_to_a_device_that_left()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["tv-001"]);
        TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await tv.DisposeAsync();
        await Eventually.TrueAsync(() => !host.Hub.IsOnline("tv-001"), "the tv went offline");

        await desktop.SendAsync("""{"id":"to-gone","type":"command","to":"tv-001","payload":{"action":"power"}}""");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "device_offline", "to-gone");
    }

    [Fact]
    public async Task Device_offline_answers_a_pending_request_whose_target_disconnects()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["tv-001"]);
        TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");

        await desktop.SendAsync("""{"id":"pending-1","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        Assert.Equal("pending-1", (await tv.ReceiveTypeAsync("command")).Str("id"));
        await tv.DisposeAsync();

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "device_offline", "pending-1");
    }

    [Fact]
    public async Task Unknown_device_answers_a_request_to_a_device_never_seen()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["ghost-001"]);

        await desktop.SendAsync("""{"id":"to-ghost","type":"command","to":"ghost-001","payload":{"action":"power"}}""");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "unknown_device", "to-ghost");
    }

    [Fact]
    public async Task Timeout_answers_the_request_nobody_answered()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["tv-001"]);

        await desktop.SendAsync("""{"id":"slow-1","type":"command","to":"tv-001","payload":{"action":"power","timeout_ms":200}}""");
        await tv.ReceiveTypeAsync("command");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "timeout", "slow-1");
    }

    [Fact]
    public async Task Overloaded_answers_a_subscription_past_the_budget()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxStreamSubscriptionsPerConnection = 1);
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["tv-001"]);

        await desktop.SendAsync("""{"id":"sub-1","type":"command","to":"hub","payload":{"action":"subscribe_stream","params":{"device_id":"tv-001","stream_type":"audio"}}}""");
        Assert.Equal("sub-1", (await desktop.ReceiveTypeAsync("response")).Str("correlation_id"));
        await desktop.SendAsync("""{"id":"sub-2","type":"command","to":"hub","payload":{"action":"subscribe_stream","params":{"device_id":"tv-001","stream_type":"video"}}}""");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "overloaded", "sub-2");
    }

    [Fact]
    public async Task Overloaded_answers_a_register_past_the_tokens_connection_budget()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxConnectionsPerToken = 1);
        IssuedToken token = await host.IssueDeviceAsync("tv-001");
        await using TestMeshClient first = await host.ConnectAsync(token.Secret);
        await first.RegisterAsync("tv-001", ["test"]);
        await using TestMeshClient second = await host.ConnectAsync(token.Secret);

        await second.SendAsync(Register);

        AssertAnswers(await second.ReceiveTypeAsync("error"), "overloaded", "reg-1");
    }

    [Fact]
    public async Task Not_registered_answers_a_message_before_register()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueDeviceAsync("tv-001");
        await using TestMeshClient tv = await host.ConnectAsync(token.Secret);

        await tv.SendAsync("""{"id":"early-1","type":"heartbeat"}""");

        AssertAnswers(await tv.ReceiveTypeAsync("error"), "not_registered", "early-1");
    }

    [Fact]
    public async Task Unknown_hub_action_answers_the_request_to_the_hub()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        await desktop.SendAsync("""{"id":"hub-1","type":"query","to":"hub","payload":{"action":"dance"}}""");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "unknown_hub_action", "hub-1");
    }

    [Fact]
    public async Task Invalid_request_answers_a_reused_pending_id()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["tv-001"]);

        const string Command = """{"id":"dup-1","type":"command","to":"tv-001","payload":{"action":"power"}}""";
        await desktop.SendAsync(Command);
        await tv.ReceiveTypeAsync("command");
        await desktop.SendAsync(Command);

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "invalid_request", "dup-1");
    }

    [Fact]
    public async Task Invalid_request_answers_a_binary_frame_from_a_device_without_binary_streams_by_its_header_id()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        await desktop.SendRawAsync(Frame("""{"id":"bin-1","type":"stream","to":"broadcast","payload":{"stream_type":"audio"}}"""), WebSocketMessageType.Binary);

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "invalid_request", "bin-1");
    }

    [Fact]
    public async Task Invalid_frame_answers_a_binary_frame_by_its_header_id()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueDeviceAsync("camera-001");
        await using TestMeshClient camera = await host.ConnectAsync(token.Secret);
        await camera.RegisterAsync("camera-001", ["video"], features: ["binary_streams"]);

        // A binary frame's header must be a stream envelope.
        await camera.SendRawAsync(Frame("""{"id":"frame-1","type":"event","payload":{"event":"x"}}"""), WebSocketMessageType.Binary);

        AssertAnswers(await camera.ReceiveTypeAsync("error"), "invalid_frame", "frame-1");
    }

    [Theory]
    [InlineData("""{"id":"p-1","type":"teleport","payload":{}}""", "unknown_type", "p-1")]
    [InlineData("""{"id":"p-2","payload":{"event":"x"}}""", "missing_field", "p-2")]
    [InlineData("""{"id":"p-3","type":"command","to":"tv-001","payload":{}}""", "missing_field", "p-3")]
    [InlineData("""{"id":"p-4","type":"command","to":42,"payload":{"action":"x"}}""", "invalid_field", "p-4")]
    [InlineData("""{"id":"p-5","type":"event","payload":{"event":"x"},"type":"event"}""", "duplicate_field", "p-5")]
    [InlineData("""{"id":"p-6","type":"command","to":"tv-001","payload":{"action":""", "malformed_json", "p-6")]
    [InlineData("""{"id":"p-7","type":"event","to":"a-device-id-far-longer-than-the-sixty-four-characters-a-device-id-may-have","payload":{"event":"x"}}""", "field_too_long", "p-7")]
    [InlineData("""{"id":"p-8","type":"stream","to":"broadcast","payload":{"chunk_index":0}}""", "missing_field", "p-8")]
    [InlineData("""{"id":"p-9","type":"heartbeat","payload":{"uptime_seconds":"long"}}""", "invalid_field", "p-9")]
    // No readable id: the error has no correlation_id.
    [InlineData("""not json at all""", "malformed_json", null)]
    [InlineData("""{"type":"event","payload":{"event":"x""", "malformed_json", null)]
    [InlineData("""{"type":"teleport","payload":{}}""", "unknown_type", null)]
    public async Task Protocol_errors_answer_the_message_by_its_id_when_it_is_readable(string message, string code, string? id)
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["tv-001"]);

        await desktop.SendAsync(message);

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), code, id);
    }

    [Fact]
    public async Task Too_deep_answers_the_message_by_its_id()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        string deep = string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40);
        await desktop.SendAsync("""{"id":"deep-1","type":"event","payload":{"event":"x","nested":""" + deep + "}}");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "too_deep", "deep-1");
    }

    [Fact]
    public async Task An_id_longer_than_the_codec_allows_is_not_echoed()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        // The id itself is the offending field: echoing it would make an error the sender's codec cannot read.
        await desktop.SendAsync($$$"""{"id":"{{{new string('i', 200)}}}","type":"event","payload":{"event":"x"}}""");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "field_too_long", null);
    }

    [Fact]
    public async Task A_protocol_error_at_registration_answers_the_message_by_its_id()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueDeviceAsync("tv-001");
        await using TestMeshClient tv = await host.ConnectAsync(token.Secret);

        await tv.SendAsync("""{"id":"first-1","type":"teleport","payload":{}}""");

        AssertAnswers(await tv.ReceiveTypeAsync("error"), "unknown_type", "first-1");
    }

    [Fact]
    public async Task Too_large_has_no_correlation_id_because_the_message_is_discarded_unread()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxMessageBytes = 4096);
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        // The reader stops keeping a message once it passes the limit, so not even its first bytes (and id) are kept.
        await desktop.SendAsync("""{"id":"big-1","type":"event","payload":{"event":"x","blob":""" + "\"" + new string('a', 10_000) + "\"}}");

        AssertAnswers(await desktop.ReceiveTypeAsync("error"), "too_large", null);
    }

    private static void AssertAnswers(JsonElement error, string code, string? correlationId)
    {
        Assert.True(error.ErrorCode() == code, $"Expected {code}, got {error.GetRawText()}");
        Assert.True(error.Str("correlation_id") == correlationId, $"Expected correlation_id {correlationId ?? "(none)"}, got {error.GetRawText()}");
    }

    // A binary stream frame: version 1, the header's length (big-endian uint16), the JSON header, then four data bytes.
    private static byte[] Frame(string header)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] frame = new byte[3 + json.Length + 4];
        frame[0] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), (ushort)json.Length);
        json.CopyTo(frame, 3);
        return frame;
    }
}
