using System.Buffers;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Protocol.Tests;

public class EventAndResponsePayloadTests
{
    [Fact]
    public void Reads_the_free_form_comma_status_response()
    {
        byte[] json = Encoding.UTF8.GetBytes("""
            {"type":"response","from":"comma3x-001","payload":{"gps":{"lat":47.1234,"lng":-122.5678},"speed_mph":65,
             "eta_minutes":12,"destination":"Ocean Shores Tech","engaged":true,"driver_attention":"alert"}}
            """);
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(ResponsePayload.TryRead(env.Payload, out ResponsePayload response, out error), error.ToString());
        Assert.False(response.Status.IsPresent);
        Assert.False(response.Result.IsPresent);
        Assert.True(response.Raw.TryGetProperty("speed_mph"u8, out Utf8JsonSlice speed));
        Assert.True(speed.TryGetInt64(out long mph));
        Assert.Equal(65, mph);
        Assert.True(response.Raw.TryGetProperty("gps"u8, out Utf8JsonSlice gps));
        Assert.True(gps.TryGetProperty("lng"u8, out Utf8JsonSlice lng));
        Assert.True(lng.TryGetDouble(out double longitude));
        Assert.Equal(-122.5678, longitude);
        Assert.True(response.Raw.TryGetProperty("destination"u8, out Utf8JsonSlice destination));
        Assert.True(destination.ValueEquals("Ocean Shores Tech"u8));
        Assert.False(response.Raw.TryGetProperty("missing"u8, out _));
    }

    [Fact]
    public void Reads_the_screenshot_response_and_the_registration_reply()
    {
        byte[] json = Encoding.UTF8.GetBytes("""
            {"type":"response","from":"desktop-001","payload":{"action":"screenshot","result":{"image_ref":"screens/desktop-001/1705678234.png","width":1920,"height":1080}}}
            """);
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out _));
        Assert.True(ResponsePayload.TryRead(env.Payload, out ResponsePayload response, out ProtocolError error), error.ToString());
        Assert.True(response.Action.ValueEquals("screenshot"u8));
        Assert.Equal(JsonTokenType.StartObject, response.Result.TokenType);
        Assert.True(response.Result.TryGetProperty("width"u8, out Utf8JsonSlice width));
        Assert.Equal("1920", width.GetRawText());

        json = """{"type":"response","to":"comma3x-001","payload":{"status":"registered","session_id":"sess_abc123","heartbeat_interval":30000}}"""u8.ToArray();
        Assert.True(EnvelopeReader.TryRead(json, out env, out _));
        Assert.True(ResponsePayload.TryRead(env.Payload, out response, out error), error.ToString());
        Assert.True(response.Status.ValueEquals("registered"u8));
    }

    [Fact]
    public void Response_status_that_is_not_a_string_stays_reachable_through_raw()
    {
        byte[] json = """{"type":"response","payload":{"status":{"battery":80}}}"""u8.ToArray();
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out _));
        Assert.True(ResponsePayload.TryRead(env.Payload, out ResponsePayload response, out _));
        Assert.False(response.Status.IsPresent);
        Assert.True(response.Raw.TryGetProperty("status"u8, out Utf8JsonSlice status));
        Assert.Equal("""{"battery":80}""", status.GetRawText());
    }

    [Fact]
    public void Response_with_non_string_action_is_invalid()
    {
        byte[] json = """{"type":"response","payload":{"action":3}}"""u8.ToArray();
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out _));
        Assert.False(ResponsePayload.TryRead(env.Payload, out _, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.InvalidField, error.Code);
        Assert.Equal("payload.action", error.Field);
    }

    [Fact]
    public void Writes_and_reads_events_and_responses()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new EnvelopeWriter();
        Utf8JsonWriter json = writer.BeginEnvelope(buffer, new EnvelopeHeader(MessageType.Event) { From = "hub"u8, To = "broadcast"u8 });
        EventPayload.Write(json, "device_connected"u8, """{"device_id":"comma3x-001"}"""u8);
        writer.EndEnvelope();
        Assert.True(EnvelopeReader.TryRead(buffer.WrittenSpan, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(env.IsBroadcast);
        Assert.True(EventPayload.TryRead(env.Payload, out EventPayload ev, out error), error.ToString());
        Assert.True(ev.Event.ValueEquals("device_connected"u8));
        Assert.True(ev.Data.TryGetProperty("device_id"u8, out Utf8JsonSlice id));
        Assert.True(id.ValueEquals("comma3x-001"u8));

        buffer.Clear();
        json = writer.BeginEnvelope(buffer, new EnvelopeHeader(MessageType.Response) { CorrelationId = "msg_1_a"u8 });
        ResponsePayload.Write(json, "screenshot"u8, """{"width":1920}"""u8, status: "ok"u8);
        writer.EndEnvelope();
        Assert.True(EnvelopeReader.TryRead(buffer.WrittenSpan, out env, out error), error.ToString());
        Assert.True(env.CorrelationId.ValueEquals("msg_1_a"u8));
        Assert.True(ResponsePayload.TryRead(env.Payload, out ResponsePayload response, out error), error.ToString());
        Assert.True(response.Status.ValueEquals("ok"u8));
        Assert.True(response.Action.ValueEquals("screenshot"u8));
        Assert.Equal("""{"width":1920}""", response.Result.GetRawText());
    }

    [Fact]
    public void Event_requires_a_string_name()
    {
        byte[] json = """{"type":"event","payload":{"event":"x"}}"""u8.ToArray();
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out _));
        Assert.True(EventPayload.TryRead(env.Payload, out EventPayload ev, out _));
        Assert.False(ev.Data.IsPresent);
        Assert.True(ev.Raw.IsPresent);
    }
}
