namespace Meowstik.Protocol;

/// <summary>Size limits the codec enforces. Exceeding one is a typed <see cref="ProtocolError"/>.</summary>
public sealed class ProtocolLimits
{
    /// <summary>The defaults used when no limits are passed.</summary>
    public static ProtocolLimits Default { get; } = new();

    /// <summary>Largest message, in bytes. Default 1 MiB (1,048,576).</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>Deepest JSON nesting, counting the envelope object as 1. Default 32.</summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>Longest <c>id</c> and <c>correlation_id</c>, in UTF-8 bytes (escaped form). Default 128.</summary>
    public int MaxIdBytes { get; init; } = 128;

    /// <summary>Longest device id (<c>from</c>, <c>to</c>), in characters. Default 64 (fixed by the protocol).</summary>
    public int MaxDeviceIdLength { get; init; } = DeviceId.MaxLength;
}
