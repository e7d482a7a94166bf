using System.Buffers;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Benchmarks;

/// <summary>The messages the benchmarks encode and decode, shaped like the design document's examples.</summary>
public static class SampleMessages
{
    public static readonly DateTimeOffset Timestamp = new(2026, 1, 19, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A heartbeat, 178 bytes.</summary>
    public static readonly byte[] Heartbeat =
        """{"id":"msg_1705678234567_abc123","type":"heartbeat","from":"desktop-001","timestamp":"2026-01-19T12:00:00.000Z","payload":{"uptime_seconds":3600,"memory_mb":256,"cpu_percent":5}}"""u8.ToArray();

    /// <summary>The Alexa speak command, 230 bytes.</summary>
    public static readonly byte[] Command =
        """{"id":"msg_1705678234567_abc123","type":"command","from":"hub","to":"alexa-001","timestamp":"2026-01-19T12:00:00.000Z","payload":{"action":"speak","params":{"text":"Jason, wake up. You have a meeting in 15 minutes.","volume":80}}}"""u8.ToArray();

    /// <summary>Parameters of <see cref="Command"/>, as raw JSON.</summary>
    public static readonly byte[] CommandParams = """{"text":"Jason, wake up. You have a meeting in 15 minutes.","volume":80}"""u8.ToArray();

    /// <summary>64 KiB of frame bytes.</summary>
    public static readonly byte[] FrameBytes = CreateFrame();

    /// <summary>A video-frame stream chunk carrying <see cref="FrameBytes"/> as base64 (87,598 bytes).</summary>
    public static readonly byte[] VideoFrame = EncodeVideoFrame();

    private static byte[] CreateFrame()
    {
        var bytes = new byte[64 * 1024];
        new Random(1234).NextBytes(bytes);
        return bytes;
    }

    private static byte[] EncodeVideoFrame()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new EnvelopeWriter();
        var header = new EnvelopeHeader(MessageType.Stream) { Id = "msg_1705678234567_abc123"u8, From = "desktop-001"u8, Timestamp = Timestamp };
        Utf8JsonWriter json = writer.BeginEnvelope(output, header);
        StreamChunk.Write(json, new StreamChunkMetadata("video"u8) { Codec = "jpeg"u8, Width = 1920, Height = 1080, FrameIndex = 1234 }, FrameBytes);
        writer.EndEnvelope();
        return output.WrittenSpan.ToArray();
    }
}
