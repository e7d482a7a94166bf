using System.Buffers;
using System.Text;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

public class EnvelopeSmokeTests
{
    [Fact]
    public void Reads_registration_example_from_the_design_document()
    {
        byte[] json = Encoding.UTF8.GetBytes("""
        { "type": "register", "from": "comma3x-001",
          "payload": { "device_type": "vehicle", "device_name": "Jason's Comma 3X",
            "capabilities": ["gps","speed"], "auth_token": "xxxxx" } }
        """);
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.Equal(MessageType.Register, env.Type);
        Assert.True(env.From.ValueEquals("comma3x-001"u8));
        Assert.False(env.Id.IsPresent);
        Assert.True(env.IsToHub);
        Assert.True(env.HasPayload);
    }

    [Fact]
    public void Writes_then_reads_a_command_with_escapes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new EnvelopeWriter();
        var header = new EnvelopeHeader(MessageType.Command) { To = "alexa-001"u8, From = "hub"u8 };
        writer.Write(buffer, header, """{"action":"speak","params":{"text":"Jason, \"wake\" up","volume":80}}"""u8);
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.StartsWith("{\"id\":\"msg_", text);
        Assert.True(EnvelopeReader.TryRead(buffer.WrittenSpan, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.Equal(MessageType.Command, env.Type);
        Assert.True(env.Id.ValueEquals(writer.LastId));
        Assert.NotNull(env.TimestampValue);
        Assert.True(env.To.ValueEquals("alexa-001"u8));

        var seq = Sequences.OneBytePerSegment(buffer.WrittenSpan.ToArray());
        Assert.True(EnvelopeReader.TryRead(seq, out MeshEnvelope env2, out error), error.ToString());
        Assert.True(env2.To.ValueEquals("alexa-001"u8));
        Assert.Equal(env.Payload.GetRawText(), env2.Payload.GetRawText());
    }

    [Theory]
    [InlineData("""{"type":"nope","payload":{}}""", ProtocolErrorCode.UnknownType, "type")]
    [InlineData("""{"payload":{}}""", ProtocolErrorCode.MissingField, "type")]
    [InlineData("""{"type":"command","payload":{}}""", ProtocolErrorCode.MissingField, "payload.action")]
    [InlineData("""{"type":"command","type":"command","payload":{"action":"x"}}""", ProtocolErrorCode.DuplicateField, "type")]
    [InlineData("""{"type":"command","payload":{"action":1}}""", ProtocolErrorCode.InvalidField, "payload.action")]
    [InlineData("""{"type":"command","from":"bad id!","payload":{"action":"x"}}""", ProtocolErrorCode.InvalidField, "from")]
    [InlineData("""{"type":"command","timestamp":"2026-01-19T12:00:00","payload":{"action":"x"}}""", ProtocolErrorCode.InvalidField, "timestamp")]
    [InlineData("""{"type":"command","payload":{"action":"x"}""", ProtocolErrorCode.MalformedJson, null)]
    public void Rejects_bad_input_with_a_typed_error(string json, ProtocolErrorCode code, string? field)
    {
        Assert.False(EnvelopeReader.TryRead(Encoding.UTF8.GetBytes(json), out _, out ProtocolError error));
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Rejects_deep_nesting()
    {
        string json = "{\"type\":\"event\",\"payload\":{\"event\":\"x\",\"d\":" + new string('[', 40) + new string(']', 40) + "}}";
        Assert.False(EnvelopeReader.TryRead(Encoding.UTF8.GetBytes(json), out _, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.TooDeep, error.Code);
    }

    [Fact]
    public void Rejects_invalid_utf8()
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"type":"event","payload":{"event":"xx"}}""");
        json[json.Length - 5] = 0xC3; // lead byte followed by an ASCII quote: invalid
        Assert.False(EnvelopeReader.TryRead(json, out _, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.InvalidUtf8, error.Code);
    }
}
