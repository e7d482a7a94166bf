namespace Meowstik.Protocol;

/// <summary>
/// The descriptive fields of a <c>stream</c> payload to write (everything but <c>data</c>). Text is UTF-8;
/// empty spans and null numbers are omitted from the output.
/// </summary>
public ref struct StreamChunkMetadata
{
    /// <summary>Creates metadata for a stream of the given type (e.g. <c>audio</c>, <c>video</c>).</summary>
    public StreamChunkMetadata(ReadOnlySpan<byte> streamType) => StreamType = streamType;

    /// <summary><c>stream_type</c> (required), e.g. <c>audio</c>, <c>video</c>, <c>data</c>.</summary>
    public ReadOnlySpan<byte> StreamType;

    /// <summary><c>codec</c>, e.g. <c>opus</c>, <c>jpeg</c>.</summary>
    public ReadOnlySpan<byte> Codec;

    /// <summary><c>sample_rate</c> in Hz (audio).</summary>
    public long? SampleRate;

    /// <summary><c>channels</c> (audio).</summary>
    public long? Channels;

    /// <summary><c>width</c> in pixels (video).</summary>
    public long? Width;

    /// <summary><c>height</c> in pixels (video).</summary>
    public long? Height;

    /// <summary><c>chunk_index</c>: position of an audio/data chunk in its stream.</summary>
    public long? ChunkIndex;

    /// <summary><c>frame_index</c>: position of a video frame in its stream.</summary>
    public long? FrameIndex;
}
