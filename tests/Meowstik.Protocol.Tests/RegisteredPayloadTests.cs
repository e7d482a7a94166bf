using System.Buffers;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Protocol.Tests;

/// <summary>The hub's <c>registered</c> reply, including the <c>features</c> it accepted (how a device learns it may send binary frames).</summary>
public class RegisteredPayloadTests
{
    private static bool TryRead(string payloadJson, out RegisteredPayload value, out ProtocolError error)
    {
        byte[] message = Encoding.UTF8.GetBytes("""{"type":"response","timestamp":"2026-01-19T12:00:00.001Z","payload":""" + payloadJson + "}");
        Assert.True(EnvelopeReader.TryRead(message, out MeshEnvelope envelope, out error), error.ToString());
        return RegisteredPayload.TryRead(envelope.Payload, out value, out error);
    }

    [Fact]
    public void Accepted_features_are_written_and_read_back_and_absent_when_none()
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output))
        {
            RegisteredPayload.Write(writer, "sess_1"u8, 30000, ["binary_streams"]);
        }

        string withFeature = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Equal("""{"status":"registered","session_id":"sess_1","heartbeat_interval":30000,"features":["binary_streams"]}""", withFeature);
        Assert.True(TryRead(withFeature, out RegisteredPayload read, out ProtocolError error), error.ToString());
        Assert.True(read.IsRegistered);
        Assert.True(read.Features.Contains("binary_streams"u8));
        Assert.Equal(30000, read.HeartbeatIntervalMs);

        output.Clear();
        using (var writer = new Utf8JsonWriter(output))
        {
            RegisteredPayload.Write(writer, "sess_1"u8, 30000);
        }

        string without = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.DoesNotContain("features", without);
        Assert.True(TryRead(without, out read, out error), error.ToString());
        Assert.False(read.Features.IsPresent);
        Assert.False(read.Features.Contains("binary_streams"u8));
    }

    [Theory]
    [InlineData("""{"status":"registered","features":"binary_streams"}""")]
    [InlineData("""{"status":"registered","features":[1]}""")]
    [InlineData("""{"status":"registered","features":[["binary_streams"]]}""")]
    public void Features_that_are_not_an_array_of_strings_are_invalid(string payload)
    {
        Assert.False(TryRead(payload, out _, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.InvalidField, error.Code);
        Assert.Equal("payload.features", error.Field);
    }

    [Fact]
    public void A_feature_name_is_compared_whole_and_after_unescaping()
    {
        Assert.True(TryRead("""{"status":"registered","features":["binary_streams_v2","binary"]}""", out RegisteredPayload read, out _));
        Assert.False(read.Features.Contains("binary_streams"u8));
        Assert.True(TryRead("""{"status":"registered","features":["binary\u005Fstreams"]}""", out read, out _));
        Assert.True(read.Features.Contains("binary_streams"u8));
    }
}
