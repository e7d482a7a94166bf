using System.Text.Json;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

/// <summary>The register payload's action manifest (<c>queries</c> and <c>commands</c>), which lets a hub refuse a query naming a command.</summary>
public class RegisterManifestTests
{
    private static RegisterPayload Read(byte[] message)
    {
        Assert.True(EnvelopeReader.TryRead(message, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(RegisterPayload.TryRead(env.Payload, out RegisterPayload register, out error), error.ToString());
        return register;
    }

    [Fact]
    public void A_query_may_name_only_a_declared_query_and_a_legacy_device_is_unclassified()
    {
        RegisterPayload car = Read("""{"type":"register","payload":{"capabilities":["car"],"queries":["status"],"commands":["unlock"]}}"""u8.ToArray());
        Assert.True(car.DeclaresActionKinds);
        Assert.True(car.AllowsQuery("status"u8));
        Assert.False(car.AllowsQuery("unlock"u8)); // the attack in issue #8: a query naming a command
        Assert.False(car.AllowsQuery("undeclared"u8));
        Assert.Equal(["status"], car.Queries.ToArray());
        Assert.Equal(["unlock"], car.Commands.ToArray());

        // Declaring only commands (even no queries at all) is a declaration: every query is refused.
        RegisterPayload commandsOnly = Read("""{"type":"register","payload":{"capabilities":[],"commands":[]}}"""u8.ToArray());
        Assert.True(commandsOnly.DeclaresActionKinds);
        Assert.False(commandsOnly.AllowsQuery("status"u8));

        RegisterPayload legacy = Read("""{"type":"register","payload":{"capabilities":["car"]}}"""u8.ToArray());
        Assert.False(legacy.DeclaresActionKinds);
        Assert.False(legacy.Queries.IsPresent);
        Assert.True(legacy.AllowsQuery("unlock"u8));
    }

    [Fact]
    public void Escaped_action_names_compare_after_unescaping()
    {
        RegisterPayload car = Read("""{"type":"register","payload":{"capabilities":[],"queries":["st\u0061tus"]}}"""u8.ToArray());
        Assert.True(car.AllowsQuery("status"u8));
    }

    [Theory]
    [InlineData("""{"capabilities":[],"queries":{}}""", "invalid_field", "payload.queries")]
    [InlineData("""{"capabilities":[],"queries":null}""", "invalid_field", "payload.queries")]
    [InlineData("""{"capabilities":[],"commands":[["unlock"]]}""", "invalid_field", "payload.commands")]
    [InlineData("""{"capabilities":[],"commands":[1]}""", "invalid_field", "payload.commands")]
    [InlineData("""{"capabilities":[],"commands":[],"commands":["unlock"]}""", "duplicate_field", "payload.commands")]
    public void A_malformed_manifest_is_a_typed_error(string payload, string code, string field)
    {
        byte[] message = System.Text.Encoding.UTF8.GetBytes("""{"type":"register","payload":""" + payload + "}");
        Assert.True(EnvelopeReader.TryRead(message, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.False(RegisterPayload.TryRead(env.Payload, out _, out error));
        Assert.Equal(code, ProtocolErrorCodes.GetWireName(error.Code));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Write_emits_the_manifest_only_when_given()
    {
        using var output = new PooledBufferWriter();
        using (var json = new Utf8JsonWriter(output))
        {
            RegisterPayload.Write(json, "vehicle"u8, default, ["car"], queries: ["status"], commands: ["unlock", "lock"]);
        }

        Assert.Equal("""{"device_type":"vehicle","capabilities":["car"],"queries":["status"],"commands":["unlock","lock"]}""", System.Text.Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Reading_the_manifest_does_not_allocate()
    {
        byte[] message = """{"type":"register","payload":{"capabilities":["car"],"queries":["status","gps"],"commands":["unlock"]}}"""u8.ToArray();
        static bool Check(byte[] m)
        {
            return EnvelopeReader.TryRead(m, out MeshEnvelope env, out _)
                && RegisterPayload.TryRead(env.Payload, out RegisterPayload r, out _)
                && r.AllowsQuery("gps"u8) && !r.AllowsQuery("unlock"u8) && r.Commands.Count() == 1;
        }

        for (int i = 0; i < 1_000; i++) Assert.True(Check(message));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) Check(message);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Per_capability_actions_round_trip_and_are_optional()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            RegisterPayload.Write(json, "vehicle"u8, default, ["can", "car"], default, null, ["status"], ["can.send"],
                [new("can", ["can.send"]), new("car", ["status"])]);
        }
        byte[] message = [.. """{"type":"register","payload":"""u8, .. buffer.WrittenSpan, .. "}"u8];
        RegisterPayload register = Read(message);
        Dictionary<string, string[]> actions = register.GetActions()!;
        Assert.Equal(["can", "car"], actions.Keys);
        Assert.Equal(["can.send"], actions["can"]);
        Assert.Equal(["status"], actions["car"]);

        // The design document's register, without actions, still reads; GetActions says "not sent".
        RegisterPayload legacy = Read("""{"type":"register","payload":{"capabilities":["gps"]}}"""u8.ToArray());
        Assert.False(legacy.Actions.IsPresent);
        Assert.Null(legacy.GetActions());
    }
}
