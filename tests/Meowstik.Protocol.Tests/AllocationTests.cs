using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

/// <summary>Steady state of the hot paths allocates nothing: measured around 10,000 iterations after warm-up.</summary>
public class AllocationTests
{
    private const int Iterations = 10_000;

    private static readonly byte[] Heartbeat =
        """{"id":"msg_1705678234567_abc123","type":"heartbeat","from":"desktop-001","timestamp":"2026-01-19T12:00:00.000Z","payload":{"uptime_seconds":3600,"memory_mb":256,"cpu_percent":5}}"""u8.ToArray();

    private static readonly byte[] Command =
        """{"id":"msg_1705678234567_abc123","type":"command","from":"hub","to":"alexa-001","timestamp":"2026-01-19T12:00:00.000Z","payload":{"action":"speak","params":{"text":"Jason, wake up. You have a meeting in 15 minutes.","volume":80}}}"""u8.ToArray();

    private static readonly byte[] Escaped =
        """{"type":"command","from":"desk\u0074op-001","to":"alexa-001","payload":{"action":"spe\u0061k","params":{"text":"caf\u00e9 \ud83d\ude3a"}}}"""u8.ToArray();

    private static readonly byte[] ChunkData = Enumerable.Range(0, 64 * 1024).Select(i => (byte)(i * 31 + 7)).ToArray();

    private static void AssertNoAllocation(Action body)
    {
        for (int i = 0; i < 1_000; i++) body();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++) body();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Envelope_encode_with_raw_payload()
    {
        using var output = new PooledBufferWriter();
        var writer = new EnvelopeWriter();
        AssertNoAllocation(() =>
        {
            output.Clear();
            var header = new EnvelopeHeader(MessageType.Command) { From = "hub"u8, To = "alexa-001"u8, CorrelationId = "msg_1_a"u8 };
            writer.Write(output, header, """{"action":"speak","params":{"text":"hi","volume":80}}"""u8);
        });
        Assert.True(EnvelopeReader.TryRead(output.WrittenSpan, out _, out _));
    }

    [Fact]
    public void Envelope_decode_span_and_sequence_with_validation()
    {
        ReadOnlySequence<byte> segmented = Sequences.Chunked(Command, 16);
        AssertNoAllocation(() =>
        {
            if (!EnvelopeReader.TryRead(Command, out MeshEnvelope env, out _)) throw new InvalidOperationException();
            if (!env.To.ValueEquals("alexa-001"u8) || !PayloadValidator.TryValidate(env, out _)) throw new InvalidOperationException();
            if (!EnvelopeReader.TryRead(segmented, out env, out _)) throw new InvalidOperationException();
            if (!env.To.ValueEquals("alexa-001"u8) || !PayloadValidator.TryValidate(env, out _)) throw new InvalidOperationException();
        });
    }

    [Fact]
    public void Escaped_fields_compare_and_copy()
    {
        AssertNoAllocation(() =>
        {
            if (!EnvelopeReader.TryRead(Escaped, out MeshEnvelope env, out _)) throw new InvalidOperationException();
            if (!env.From.ValueEquals("desktop-001"u8) || !env.From.ValueEquals("desktop-001".AsSpan())) throw new InvalidOperationException();
            Span<byte> copy = stackalloc byte[64];
            if (!env.From.TryCopyString(copy, out int written) || written != 11) throw new InvalidOperationException();
            if (!CommandPayload.TryRead(env.Payload, out CommandPayload command, out _) || !command.Action.ValueEquals("speak"u8)) throw new InvalidOperationException();
        });
    }

    [Fact]
    public void Heartbeat_encode_and_decode()
    {
        using var output = new PooledBufferWriter();
        var writer = new EnvelopeWriter();
        AssertNoAllocation(() =>
        {
            output.Clear();
            Utf8JsonWriter json = writer.BeginEnvelope(output, new EnvelopeHeader(MessageType.Heartbeat) { From = "desktop-001"u8 });
            HeartbeatPayload.Write(json, new HeartbeatPayload(3600, 256, 5));
            writer.EndEnvelope();
            if (!EnvelopeReader.TryRead(Heartbeat, out MeshEnvelope env, out _)) throw new InvalidOperationException();
            if (!HeartbeatPayload.TryRead(env.Payload, out HeartbeatPayload hb, out _) || hb.UptimeSeconds != 3600) throw new InvalidOperationException();
        });
    }

    [Fact]
    public void Command_encode_and_decode()
    {
        using var output = new PooledBufferWriter();
        var writer = new EnvelopeWriter();
        AssertNoAllocation(() =>
        {
            output.Clear();
            Utf8JsonWriter json = writer.BeginEnvelope(output, new EnvelopeHeader(MessageType.Command) { From = "hub"u8, To = "alexa-001"u8 });
            CommandPayload.Write(json, "speak"u8, """{"text":"Jason, wake up.","volume":80}"""u8, timeoutMs: 5000);
            writer.EndEnvelope();
            if (!EnvelopeReader.TryRead(Command, out MeshEnvelope env, out _)) throw new InvalidOperationException();
            if (!CommandPayload.TryRead(env.Payload, out CommandPayload command, out _) || !command.Action.ValueEquals("speak"u8)) throw new InvalidOperationException();
            if (!CommandPayload.TryRead(env, out CommandPayload fromEnvelope, out _) || fromEnvelope.Params.Length != command.Params.Length) throw new InvalidOperationException();
        });
    }

    [Fact]
    public void Stream_chunk_of_64_KiB_encode_and_decode_from_span_and_segments()
    {
        using var output = new PooledBufferWriter(128 * 1024);
        var writer = new EnvelopeWriter();
        byte[] decoded = new byte[ChunkData.Length + 3];
        Utf8JsonWriter json = writer.BeginEnvelope(output, new EnvelopeHeader(MessageType.Stream) { From = "desktop-001"u8 });
        StreamChunk.Write(json, new StreamChunkMetadata("video"u8) { Codec = "jpeg"u8, Width = 1920, Height = 1080, FrameIndex = 1 }, ChunkData);
        writer.EndEnvelope();
        byte[] message = output.WrittenSpan.ToArray();
        ReadOnlySequence<byte> segmented = Sequences.Chunked(message, 4096);

        AssertNoAllocation(() =>
        {
            output.Clear();
            Utf8JsonWriter w = writer.BeginEnvelope(output, new EnvelopeHeader(MessageType.Stream) { From = "desktop-001"u8 });
            StreamChunk.Write(w, new StreamChunkMetadata("video"u8) { Codec = "jpeg"u8, Width = 1920, Height = 1080, FrameIndex = 1 }, ChunkData);
            writer.EndEnvelope();

            if (!EnvelopeReader.TryRead(message, out MeshEnvelope env, out _)) throw new InvalidOperationException();
            if (!StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out _)) throw new InvalidOperationException();
            if (!chunk.TryDecodeData(decoded, out int written) || written != ChunkData.Length) throw new InvalidOperationException();

            if (!EnvelopeReader.TryRead(segmented, out env, out _)) throw new InvalidOperationException();
            if (!StreamChunk.TryRead(env.Payload, out chunk, out _)) throw new InvalidOperationException();
            if (!chunk.TryDecodeData(decoded, out written) || written != ChunkData.Length) throw new InvalidOperationException();
        });
        Assert.Equal(ChunkData, decoded[..ChunkData.Length]);
    }

    [Fact]
    public void Binary_stream_frames_and_conversions()
    {
        using var output = new PooledBufferWriter(128 * 1024);
        using var json = new PooledBufferWriter(128 * 1024);
        using var back = new PooledBufferWriter(128 * 1024);
        using var frames = new BinaryStreamFrameWriter();
        AssertNoAllocation(() =>
        {
            output.Clear();
            json.Clear();
            back.Clear();
            frames.Write(output, new EnvelopeHeader(MessageType.Stream) { From = "cam-1"u8 }, new StreamChunkMetadata("video"u8) { FrameIndex = 9 }, ChunkData);
            if (!BinaryStreamFrame.TryRead(output.WrittenSpan, out BinaryStreamFrame frame, out _) || frame.DataLength != ChunkData.Length) throw new InvalidOperationException();
            if (!BinaryStreamConverter.TryConvertToJson(output.WrittenSpan, json, out _)) throw new InvalidOperationException();
            if (!BinaryStreamConverter.TryConvertToBinary(json.WrittenSpan, back, out _)) throw new InvalidOperationException();
        });
        Assert.Equal(output.WrittenSpan.ToArray(), back.WrittenSpan.ToArray());
    }

    [Fact]
    public void Rejecting_bad_input_without_exceptions_allocates_nothing()
    {
        byte[] missing = """{"type":"command","payload":{"params":{}}}"""u8.ToArray();
        byte[] badId = """{"type":"heartbeat","from":"bad id"}"""u8.ToArray();
        byte[] badUtf8 = [(byte)'{', 0xFF, (byte)'}'];
        AssertNoAllocation(() =>
        {
            if (EnvelopeReader.TryRead(missing, out _, out ProtocolError e1) || e1.Code != ProtocolErrorCode.MissingField) throw new InvalidOperationException();
            if (EnvelopeReader.TryRead(badId, out _, out ProtocolError e2) || e2.Code != ProtocolErrorCode.InvalidField) throw new InvalidOperationException();
            if (EnvelopeReader.TryRead(badUtf8, out _, out ProtocolError e3) || e3.Code != ProtocolErrorCode.InvalidUtf8) throw new InvalidOperationException();
        });
    }

    [Fact]
    public async Task WebSocket_message_reader_steady_state()
    {
        using WebSocketPair pair = await WebSocketPair.ConnectAsync();
        await Task.Run(() => MeasureReceiveLoop(pair));
    }

    // Runs on one thread: the client sends a batch (not measured), then the server receives it. With the bytes already
    // in the socket buffer, every receive completes synchronously on this thread, so the thread's allocation counter
    // sees the whole receive path: socket read, frame parsing, pipe segments, envelope decode.
    private static void MeasureReceiveLoop(WebSocketPair pair)
    {
        using var reader = new WebSocketMessageReader(pair.Server);
        const int Batch = 50;
        long allocated = 0;
        int measured = 0;
        for (int round = 0; round < 240; round++)
        {
            for (int i = 0; i < Batch; i++)
            {
                pair.Client.SendAsync(Command.AsMemory(), WebSocketMessageType.Text, true, default).AsTask().GetAwaiter().GetResult();
            }
            Thread.Sleep(1); // let loopback deliver the batch
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool allSynchronous = true;
            for (int i = 0; i < Batch; i++)
            {
                ValueTask<ReceiveStatus> receive = reader.ReceiveAsync();
                allSynchronous &= receive.IsCompleted;
                ReceiveStatus status = receive.IsCompleted ? receive.Result : receive.AsTask().GetAwaiter().GetResult();
                if (status != ReceiveStatus.Message || !EnvelopeReader.TryRead(reader.Current, out MeshEnvelope env, out _) || env.Type != MessageType.Command)
                {
                    throw new InvalidOperationException("unexpected message");
                }
            }
            long delta = GC.GetAllocatedBytesForCurrentThread() - before;
            // The first rounds warm up (pipe segments, JIT tiers); rounds that had to wait for the network are not
            // steady state (the awaiting itself allocates a Task here) and are not counted.
            if (round >= 40 && allSynchronous)
            {
                allocated += delta;
                measured += Batch;
            }
        }
        Assert.True(measured >= 5_000, $"only {measured} messages were received synchronously");
        Assert.Equal(0, allocated);
    }
}
