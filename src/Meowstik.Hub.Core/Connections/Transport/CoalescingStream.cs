using System.Buffers;

namespace Meowstik.Hub.Core;

/// <summary>
/// The hub's side of an upgraded WebSocket connection, between the transport stream (Kestrel's upgraded connection, a TLS or
/// TCP stream) and the server <see cref="System.Net.WebSockets.WebSocket"/> created over it. Reads pass through. The send loop
/// appends whole data frames with <see cref="TryAppendFrame"/> (no I/O) and pushes everything with one write and one flush in
/// <see cref="FlushAsync(CancellationToken)"/>, so a burst of messages costs one socket write instead of one per message.
/// The WebSocket's own writes (pong, keep-alive ping, close) go through <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>:
/// they first push whatever is pending (frames stay in order) and are never delayed. One gate orders all writes.
/// </summary>
internal sealed class CoalescingStream : Stream
{
    private readonly Stream _inner;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly int _minimumBuffer;
    private byte[]? _buffer;
    private int _count;
    private int _disposed;

    /// <param name="inner">The transport.</param>
    /// <param name="minimumBuffer">The smallest buffer rented for a batch.</param>
    public CoalescingStream(Stream inner, int minimumBuffer = 16 * 1024)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _minimumBuffer = minimumBuffer;
    }

    /// <summary>Bytes appended and not yet written to the transport.</summary>
    public int PendingBytes => Volatile.Read(ref _count);

    public override bool CanRead => _inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => _inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Appends one whole text or binary message as a single server frame, without I/O. Returns false (nothing appended) when a
    /// transport write is in progress right now; the caller then uses <see cref="AppendFrameAsync"/>.
    /// </summary>
    public bool TryAppendFrame(System.Net.WebSockets.WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        if (!_gate.Wait(0)) return false;
        try
        {
            AppendLocked(type, payload);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends one whole message as a server frame, waiting for a transport write in progress to finish first.</summary>
    public async ValueTask AppendFrameAsync(System.Net.WebSockets.WebSocketMessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            AppendLocked(type, payload.Span);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes everything appended so far to the transport with one write, then flushes it.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WritePendingLockedAsync(cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WritePendingLockedAsync(cancellationToken).ConfigureAwait(false);
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _inner.Dispose();
            // A pending buffer is left to the GC: a write racing the dispose must not touch a buffer handed back to the pool.
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void AppendLocked(System.Net.WebSockets.WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        int needed = WebSocketFrameHeader.MaxLength + payload.Length;
        if (_buffer is null) _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _minimumBuffer));
        else if (_buffer.Length - _count < needed) Grow(needed);
        int count = _count + WebSocketFrameHeader.Write(_buffer.AsSpan(_count), type, payload.Length);
        payload.CopyTo(_buffer.AsSpan(count));
        Volatile.Write(ref _count, count + payload.Length);
    }

    private async ValueTask WritePendingLockedAsync(CancellationToken cancellationToken)
    {
        if (_buffer is null) return;
        byte[] buffer = _buffer;
        int count = _count;
        // The buffer goes back to the pool after each batch: an idle connection holds none.
        _buffer = null;
        Volatile.Write(ref _count, 0);
        try
        {
            await _inner.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Grow(int needed)
    {
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer!.Length * 2, _count + needed));
        _buffer.AsSpan(0, _count).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
