namespace Meowstik.Protocol;

/// <summary>Size limits the codec enforces. Exceeding one is a typed <see cref="ProtocolError"/>.</summary>
public sealed class ProtocolLimits
{
    private readonly int _maxMessageBytes = 1024 * 1024;
    private readonly int _maxDepth = 32;
    private readonly int _maxIdBytes = 128;
    private readonly int _maxDeviceIdLength = DeviceId.MaxLength;

    /// <summary>The defaults used when no limits are passed.</summary>
    public static ProtocolLimits Default { get; } = new();

    /// <summary>Largest message, in bytes. Default 1 MiB (1,048,576). At least 1.</summary>
    public int MaxMessageBytes
    {
        get => _maxMessageBytes;
        init => _maxMessageBytes = Positive(value);
    }

    /// <summary>Deepest JSON nesting, counting the envelope object as 1. Default 32. At least 2 (envelope and payload), below int.MaxValue.</summary>
    public int MaxDepth
    {
        get => _maxDepth;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            ArgumentOutOfRangeException.ThrowIfEqual(value, int.MaxValue);
            _maxDepth = value;
        }
    }

    /// <summary>Longest <c>id</c> and <c>correlation_id</c>, in UTF-8 bytes (escaped form). Default 128. At least 1.</summary>
    public int MaxIdBytes
    {
        get => _maxIdBytes;
        init => _maxIdBytes = Positive(value);
    }

    /// <summary>Longest device id (<c>from</c>, <c>to</c>), in characters. Default 64 (fixed by the protocol); 1 to 64.</summary>
    public int MaxDeviceIdLength
    {
        get => _maxDeviceIdLength;
        init
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, DeviceId.MaxLength);
            _maxDeviceIdLength = Positive(value);
        }
    }

    private static int Positive(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        return value;
    }
}
