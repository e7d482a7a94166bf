using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Encodings.Web;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

/// <summary>decode(encode(x)) == x over envelopes generated from a seeded random source.</summary>
public class RoundTripPropertyTests
{
    private const int Cases = 3_000;

    private static readonly string[] Pieces =
    [
        "a", "Z", "0", "9", "-", "_", ".", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\u0001", "\u001f", "\u007f",
        "é", "ß", "日本", "😺", "🚗", "\u2028", "\u2029", "<", ">", "&", "'", "+", "`", "\uFFFD", "\u00A0", "msg_",
    ];

    private static readonly byte[] DeviceChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"u8.ToArray();

    private static readonly MessageType[] Types =
        [MessageType.Register, MessageType.Command, MessageType.Query, MessageType.Response, MessageType.Event, MessageType.Stream, MessageType.Heartbeat, MessageType.Error];

    [Fact]
    public void Decode_of_encode_is_the_identity_over_generated_envelopes()
    {
        var random = new Random(20260119);
        var output = new ArrayBufferWriter<byte>();
        var writer = new EnvelopeWriter();
        var seen = new Dictionary<MessageType, int>();
        for (int n = 0; n < Cases; n++)
        {
            var x = Generated.Create(random);
            output.Clear();
            x.Encode(writer, output);
            byte[] bytes = output.WrittenSpan.ToArray();
            string generatedId = x.Id ?? Encoding.UTF8.GetString(writer.LastId);

            Assert.True(EnvelopeReader.TryRead(bytes, out MeshEnvelope env, out ProtocolError error), $"case {n}: {error} in {Encoding.UTF8.GetString(bytes)}");
            x.AssertEqual(env, generatedId, n);

            // The same bytes cut into random segments decode to the same values.
            ReadOnlySequence<byte> segmented = Sequences.Chunked(bytes, random.Next(1, Math.Max(2, bytes.Length / 3)));
            Assert.True(EnvelopeReader.TryRead(segmented, out env, out error), $"case {n} (segmented): {error}");
            x.AssertEqual(env, generatedId, n);
            seen[x.Type] = seen.GetValueOrDefault(x.Type) + 1;
        }
        Assert.All(Types, t => Assert.True(seen.GetValueOrDefault(t) > Cases / Types.Length / 2, $"{t} was generated too rarely"));
    }

    [Fact]
    public void Stream_chunks_round_trip_through_binary_frames()
    {
        var random = new Random(7);
        var json = new ArrayBufferWriter<byte>();
        var binary = new ArrayBufferWriter<byte>();
        var back = new ArrayBufferWriter<byte>();
        var writer = new EnvelopeWriter();
        for (int n = 0; n < 300; n++)
        {
            var x = Generated.Create(random, MessageType.Stream);
            json.Clear();
            binary.Clear();
            back.Clear();
            x.Encode(writer, json);
            Assert.True(BinaryStreamConverter.TryConvertToBinary(json.WrittenSpan, binary, out ProtocolError error), error.ToString());
            Assert.True(BinaryStreamFrame.TryRead(binary.WrittenSpan, out BinaryStreamFrame frame, out error), error.ToString());
            Assert.True(frame.TryGetContiguousData(out ReadOnlySpan<byte> data));
            Assert.True(data.SequenceEqual(x.Data));
            Assert.True(BinaryStreamConverter.TryConvertToJson(binary.WrittenSpan, back, out error), error.ToString());
            Assert.Equal(json.WrittenSpan.ToArray(), back.WrittenSpan.ToArray());
        }
    }

    private static string Text(Random random, int min, int max)
    {
        var text = new StringBuilder();
        int count = random.Next(min, max + 1);
        for (int i = 0; i < count; i++) text.Append(Pieces[random.Next(Pieces.Length)]);
        return text.ToString();
    }

    private static string? Maybe(Random random, Func<string> value) => random.Next(3) == 0 ? null : value();

    private static string Device(Random random)
    {
        int length = random.Next(5) == 0 ? 64 : random.Next(1, 20);
        var id = new byte[length];
        for (int i = 0; i < length; i++) id[i] = DeviceChars[random.Next(DeviceChars.Length)];
        return Encoding.ASCII.GetString(id);
    }

    private static byte[] Utf8(string? text) => text is null ? [] : Encoding.UTF8.GetBytes(text);

    // Raw JSON {"text": value} written the way a peer would.
    private static byte[] TextObject(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
        {
            json.WriteStartObject();
            json.WriteString("text", value);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string? TextOf(Utf8JsonSlice obj) => obj.TryGetProperty("text"u8, out Utf8JsonSlice text) ? text.GetString() : null;

    private sealed class Generated
    {
        public MessageType Type;
        public string? Id, From, To, CorrelationId;
        public DateTimeOffset Timestamp;
        public string A = "", B = "", C = "", D = "";
        public string[] List = [], List2 = [];
        public long Number, Number2;
        public double Real, Real2;
        public long?[] Counts = new long?[6];
        public byte[] Data = [];
        public bool Flag;

        public static Generated Create(Random random, MessageType? type = null)
        {
            var x = new Generated
            {
                Type = type ?? Types[random.Next(Types.Length)],
                Id = Maybe(random, () => Text(random, 1, 12)),
                From = Maybe(random, () => Device(random)),
                To = Maybe(random, () => random.Next(4) == 0 ? (random.Next(2) == 0 ? "hub" : "broadcast") : Device(random)),
                CorrelationId = Maybe(random, () => Text(random, 1, 12)),
                // Milliseconds since 1970 up to 2200, at a random whole-minute offset: the wire keeps the instant.
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(random.NextInt64(0, 7_258_118_400_000L)).ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1))),
                A = Text(random, 1, 10),
                B = Text(random, 0, 30),
                C = Text(random, 1, 10),
                D = Text(random, 0, 10),
                List = Enumerable.Range(0, random.Next(0, 6)).Select(_ => Text(random, 0, 8)).ToArray(),
                List2 = Enumerable.Range(0, random.Next(0, 3)).Select(_ => Text(random, 1, 8)).ToArray(),
                Number = random.NextInt64(0, long.MaxValue),
                Number2 = random.Next(0, 100_000),
                Real = Math.Round(random.NextDouble() * 100_000, 1),
                Real2 = Math.Round(random.NextDouble() * 100, 1),
                Flag = random.Next(2) == 0,
            };
            for (int i = 0; i < x.Counts.Length; i++) x.Counts[i] = random.Next(3) == 0 ? null : random.NextInt64(0, 1L << 40);
            x.Data = new byte[random.Next(0, 3000)];
            random.NextBytes(x.Data);
            return x;
        }

        public void Encode(EnvelopeWriter writer, IBufferWriter<byte> output)
        {
            byte[] id = Utf8(Id), from = Utf8(From), to = Utf8(To), correlation = Utf8(CorrelationId);
            var header = new EnvelopeHeader(Type) { Id = id, From = from, To = to, CorrelationId = correlation, Timestamp = Timestamp };
            if (Type == MessageType.Heartbeat && Flag)
            {
                writer.Write(output, header, default); // a bare heartbeat
                return;
            }
            Utf8JsonWriter json = writer.BeginEnvelope(output, header);
            switch (Type)
            {
                case MessageType.Register:
                    RegisterPayload.Write(json, Utf8(A), Utf8(B), List, Utf8(D), Flag ? List2 : null, Flag ? List2 : null, Flag ? List : null);
                    break;
                case MessageType.Command:
                case MessageType.Query:
                    if (Flag) CommandPayload.WriteProxy(json, Utf8(A), Utf8(C), TextObject(B));
                    else CommandPayload.Write(json, Utf8(A), TextObject(B), Number2);
                    break;
                case MessageType.Response:
                    ResponsePayload.Write(json, Utf8(A), TextObject(B), Flag ? Utf8(C) : default);
                    break;
                case MessageType.Event:
                    EventPayload.Write(json, Utf8(A), Flag ? TextObject(B) : default);
                    break;
                case MessageType.Stream:
                    StreamChunk.Write(json, new StreamChunkMetadata(Utf8(A))
                    {
                        Codec = Utf8(D), SampleRate = Counts[0], Channels = Counts[1], Width = Counts[2], Height = Counts[3], ChunkIndex = Counts[4], FrameIndex = Counts[5],
                    }, Data);
                    break;
                case MessageType.Heartbeat:
                    HeartbeatPayload.Write(json, new HeartbeatPayload(Number2, Real, Real2));
                    break;
                case MessageType.Error:
                    ErrorPayload.Write(json, Utf8(A), Utf8(B), Utf8(D), Flag ? Number2 : -1);
                    break;
            }
            writer.EndEnvelope();
        }

        public void AssertEqual(MeshEnvelope env, string id, int n)
        {
            string at = $"case {n} ({Type})";
            Assert.Equal(Type, env.Type);
            Assert.Equal(id, env.Id.GetString());
            Assert.Equal(From, env.From.GetString());
            Assert.Equal(To, env.To.GetString());
            Assert.Equal(CorrelationId, env.CorrelationId.GetString());
            Assert.Equal(Timestamp, env.TimestampValue);
            Assert.True(PayloadValidator.TryValidate(env, out ProtocolError error), $"{at}: {error}");
            switch (Type)
            {
                case MessageType.Register:
                    Assert.True(RegisterPayload.TryRead(env.Payload, out RegisterPayload register, out error), $"{at}: {error}");
                    Assert.Equal(A, register.DeviceType.GetString());
                    Assert.Equal(B.Length == 0 ? null : B, register.DeviceName.GetString());
                    Assert.Equal(List, register.Capabilities.ToArray());
                    Assert.Equal(D.Length == 0 ? null : D, register.AuthToken.GetString());
                    Assert.Equal(Flag, register.Features.IsPresent);
                    if (Flag) Assert.Equal(List2, register.Features.ToArray());
                    Assert.Equal(Flag, register.DeclaresActionKinds);
                    if (Flag) Assert.Equal(List2, register.Queries.ToArray());
                    if (Flag) Assert.Equal(List, register.Commands.ToArray());
                    break;
                case MessageType.Command:
                case MessageType.Query:
                    Assert.True(CommandPayload.TryRead(env.Payload, out CommandPayload command, out error), $"{at}: {error}");
                    if (Flag)
                    {
                        Assert.True(command.Action.ValueEquals("proxy"u8));
                        Assert.Equal(A, command.Target.GetString());
                        Assert.True(CommandPayload.TryRead(command.Command, out CommandPayload inner, out error), $"{at}: {error}");
                        Assert.Equal(C, inner.Action.GetString());
                        Assert.Equal(B, TextOf(inner.Params));
                    }
                    else
                    {
                        Assert.Equal(A, command.Action.GetString());
                        Assert.Equal(B, TextOf(command.Params));
                        Assert.Equal(Number2, command.TimeoutMs);
                    }
                    break;
                case MessageType.Response:
                    Assert.True(ResponsePayload.TryRead(env.Payload, out ResponsePayload response, out error), $"{at}: {error}");
                    Assert.Equal(A, response.Action.GetString());
                    Assert.Equal(B, TextOf(response.Result));
                    Assert.Equal(Flag ? C : null, response.Status.GetString());
                    break;
                case MessageType.Event:
                    Assert.True(EventPayload.TryRead(env.Payload, out EventPayload ev, out error), $"{at}: {error}");
                    Assert.Equal(A, ev.Event.GetString());
                    Assert.Equal(Flag ? B : null, Flag ? TextOf(ev.Data) : ev.Data.GetString());
                    break;
                case MessageType.Stream:
                    Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out error), $"{at}: {error}");
                    Assert.Equal(A, chunk.StreamType.GetString());
                    Assert.Equal(D.Length == 0 ? null : D, chunk.Codec.GetString());
                    Assert.Equal(Counts, new[] { chunk.SampleRate, chunk.Channels, chunk.Width, chunk.Height, chunk.ChunkIndex, chunk.FrameIndex });
                    byte[] data = new byte[chunk.DecodedLengthUpperBound];
                    Assert.True(chunk.TryDecodeData(data, out int written));
                    Assert.Equal(Data, data[..written]);
                    break;
                case MessageType.Heartbeat:
                    Assert.Equal(!Flag, env.HasPayload);
                    Assert.True(HeartbeatPayload.TryRead(env.Payload, out HeartbeatPayload heartbeat, out error), $"{at}: {error}");
                    Assert.Equal(Flag ? default : new HeartbeatPayload(Number2, Real, Real2), heartbeat);
                    break;
                case MessageType.Error:
                    Assert.True(ErrorPayload.TryRead(env.Payload, out ErrorPayload failure, out error), $"{at}: {error}");
                    Assert.Equal(A, failure.Code.GetString());
                    Assert.Equal(B, failure.Message.GetString());
                    Assert.Equal(D.Length == 0 ? null : D, failure.Field.GetString());
                    Assert.Equal(Flag ? Number2 : -1, failure.Offset);
                    break;
            }
        }
    }
}
