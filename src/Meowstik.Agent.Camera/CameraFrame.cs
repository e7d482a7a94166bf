using System.Buffers;

namespace Meowstik.Agent.Camera;

/// <summary>
/// One JPEG frame in a pooled buffer, with its size. Sources fill it (it is an <see cref="IBufferWriter{T}"/>, so an encoder
/// writes straight into it) and the consumer disposes it exactly once, which returns it (buffer and object) for reuse: a
/// steady stream allocates nothing per frame. Stream frames double as <see cref="OutgoingStreamChunk.Lease"/>.
/// </summary>
public sealed class CameraFrame : IBufferWriter<byte>, IDisposable
{
    private const int MaxPooled = 8;
    private static readonly Stack<CameraFrame> Pool = new();
    private static readonly Lock PoolLock = new();

    private byte[] _buffer = [];
    private int _length;
    private int _rented; // 1 while out of the pool
    private Action<CameraFrame>? _released;

    private CameraFrame()
    {
    }

    /// <summary>The JPEG bytes.</summary>
    public ReadOnlyMemory<byte> Jpeg => _buffer.AsMemory(0, _length);

    /// <summary>The JPEG's length in bytes.</summary>
    public int Length => _length;

    /// <summary>The image width in pixels.</summary>
    public int Width { get; set; }

    /// <summary>The image height in pixels.</summary>
    public int Height { get; set; }

    /// <summary>The stream frame index the capability gave it.</summary>
    internal long Index { get; set; }

    /// <summary>Takes a frame from the pool (or a new one), empty, with room for at least <paramref name="capacity"/> bytes.</summary>
    /// <param name="capacity">The bytes expected (a hint: writing more grows the buffer).</param>
    /// <returns>The frame; dispose it once.</returns>
    public static CameraFrame Rent(int capacity = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        CameraFrame? frame = null;
        lock (PoolLock)
        {
            Pool.TryPop(out frame);
        }

        frame ??= new CameraFrame();
        frame._rented = 1;
        frame._length = 0;
        frame.Width = 0;
        frame.Height = 0;
        frame._released = null;
        frame.EnsureCapacity(capacity);
        return frame;
    }

    /// <summary>Copies <paramref name="jpeg"/> into the frame (replacing what it held).</summary>
    /// <param name="jpeg">The JPEG bytes.</param>
    /// <param name="width">The width.</param>
    /// <param name="height">The height.</param>
    public void Set(ReadOnlySpan<byte> jpeg, int width, int height)
    {
        _length = 0;
        EnsureCapacity(jpeg.Length);
        jpeg.CopyTo(_buffer);
        _length = jpeg.Length;
        Width = width;
        Height = height;
    }

    /// <summary>Forgets the bytes written (keeps the buffer).</summary>
    public void Clear() => _length = 0;

    /// <inheritdoc />
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _length);
        _length += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(_length + Math.Max(sizeHint, 1));
        return _buffer.AsMemory(_length);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(_length + Math.Max(sizeHint, 1));
        return _buffer.AsSpan(_length);
    }

    /// <summary>Returns the frame to the pool; a second dispose does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, 0) == 0)
        {
            return;
        }

        Action<CameraFrame>? released = _released;
        _released = null;
        released?.Invoke(this);
        _length = 0;
        lock (PoolLock)
        {
            if (Pool.Count < MaxPooled)
            {
                Pool.Push(this);
                return;
            }
        }

        byte[] buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Runs <paramref name="released"/> (once) when the frame is disposed, before it returns to the pool.</summary>
    internal void OnReleased(Action<CameraFrame> released) => _released = released;

    private void EnsureCapacity(int size)
    {
        if (_buffer.Length >= size)
        {
            return;
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, Math.Min(_buffer.Length * 2, Array.MaxLength)));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}
