namespace Meowstik.Benchmarks.Baseline;

/// <summary>System.Text.Json equivalent of a video-frame payload (data is base64 on the wire, bytes here).</summary>
public sealed class StreamBody
{
    public string? StreamType { get; set; }
    public string? Codec { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public long? FrameIndex { get; set; }
    public byte[]? Data { get; set; }
}
