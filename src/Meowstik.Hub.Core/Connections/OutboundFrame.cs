using System.Buffers;
using System.Net.WebSockets;

namespace Meowstik.Hub.Core;

/// <summary>
/// One encoded message on its way out: a pooled buffer with a reference count, so a broadcast is encoded once and
/// queued to many connections (each send loop releases its reference; the last one returns the buffer to the pool).
/// Also an <see cref="IBufferWriter{T}"/> so encoders write straight into it.
/// </summary>
internal sealed class OutboundFrame : IBufferWriter<byte>
{
    private const int PoolLimit = 4096;
    private const int InitialSize = 1024;
    private static readonly Stack<OutboundFrame> s_pool = new();
    private static readonly Lock s_poolLock = new();

    private byte[] _buffer = [];
    private int _length;
    private int _references;

    private OutboundFrame()
    {
    }

    /// <summary>Text for JSON envelopes, binary for binary stream frames.</summary>
    public WebSocketMessageType MessageType { get; set; }

    /// <summary>The encoded bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>The encoded bytes.</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    /// <summary>Encoded length in bytes.</summary>
    public int Length => _length;

    /// <summary>Takes an empty message from the pool with one reference (the caller's).</summary>
    public static OutboundFrame Rent(WebSocketMessageType type = WebSocketMessageType.Text)
    {
        OutboundFrame? message;
        lock (s_poolLock)
        {
            s_pool.TryPop(out message);
        }
        message ??= new OutboundFrame();
        message._references = 1;
        message._length = 0;
        message.MessageType = type;
        return message;
    }

    /// <summary>Copies <paramref name="bytes"/> into a fresh message.</summary>
    public static OutboundFrame Copy(in ReadOnlySequence<byte> bytes, WebSocketMessageType type)
    {
        OutboundFrame message = Rent(type);
        int length = checked((int)bytes.Length);
        bytes.CopyTo(message.GetSpan(length));
        message.Advance(length);
        return message;
    }

    /// <summary>Adds a reference (one per queue the message is placed in).</summary>
    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Drops a reference; the last one returns the message and its buffer to the pool.</summary>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left > 0) return;
        if (left < 0) throw new InvalidOperationException("Outbound message released more often than referenced.");
        _length = 0;
        // Very large buffers (near the 1 MiB limit) go back to the array pool rather than staying pinned to a pooled message.
        if (_buffer.Length > 64 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
        lock (s_poolLock)
        {
            if (s_pool.Count < PoolLimit) s_pool.Push(this);
        }
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _length)) throw new ArgumentOutOfRangeException(nameof(count));
        _length += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_length);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_length);
    }

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _length >= needed) return;
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, InitialSize), _length + needed));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
