using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace Meowstik.Protocol;

/// <summary>
/// Reads whole WebSocket messages into a <see cref="Pipe"/>: frames are received straight into pooled pipe segments
/// and a complete message is exposed as one <see cref="ReadOnlySequence{T}"/> to decode without copying.
/// Enforces the size limit (the rest of an oversized message is read and discarded) and UTF-8 validity of text messages.
/// Not thread-safe: one receive loop per reader.
/// </summary>
/// <example>
/// <code>
/// using var reader = new WebSocketMessageReader(socket);
/// while (await reader.ReceiveAsync(ct) == ReceiveStatus.Message)
/// {
///     if (EnvelopeReader.TryRead(reader.Current, out MeshEnvelope env, out ProtocolError error)) { ... }
/// }
/// </code>
/// </example>
public sealed class WebSocketMessageReader : IDisposable
{
    private const int ReceiveChunk = 4096;

    private readonly WebSocket _socket;
    private readonly Pipe _pipe;
    private int _maxMessageBytes;
    private readonly bool _validateUtf8;
    private bool _hasCurrent;
    private long _received;
    private bool _oversize;

    /// <summary>Creates a reader over <paramref name="socket"/>.</summary>
    /// <param name="socket">The connected WebSocket.</param>
    /// <param name="maxMessageBytes">Largest accepted message (default <see cref="ProtocolLimits.MaxMessageBytes"/>, 1 MiB).</param>
    /// <param name="validateUtf8">Reject text messages that are not valid UTF-8 (default true, as RFC 6455 requires).</param>
    /// <param name="pool">Memory pool for pipe segments (default: the shared pool).</param>
    public WebSocketMessageReader(WebSocket socket, int maxMessageBytes = 1024 * 1024, bool validateUtf8 = true, MemoryPool<byte>? pool = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1);
        _socket = socket;
        _maxMessageBytes = maxMessageBytes;
        _validateUtf8 = validateUtf8;
        // The same task writes and reads, so the writer must never pause on a full pipe.
        _pipe = new Pipe(new PipeOptions(pool, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: ReceiveChunk, useSynchronizationContext: false));
    }

    /// <summary>
    /// Largest accepted message; may be changed between messages (a server accepts only a small first message from an
    /// unauthenticated peer, then the full size).
    /// </summary>
    public int MaxMessageBytes
    {
        get => _maxMessageBytes;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxMessageBytes = value;
        }
    }

    /// <summary>The last complete message; valid until the next <see cref="ReceiveAsync"/> or <see cref="Dispose"/>.</summary>
    public ReadOnlySequence<byte> Current { get; private set; }

    /// <summary>Text or binary, for <see cref="Current"/>.</summary>
    public WebSocketMessageType CurrentType { get; private set; }

    /// <summary>Size in bytes of the last message rejected as <see cref="ReceiveStatus.TooLarge"/> (as far as it was read).</summary>
    public long LastRejectedSize { get; private set; }

    /// <summary>Receives the next complete message, releasing the previous one.</summary>
    /// <remarks>
    /// Completes synchronously, without allocating, while the socket has data buffered; only a receive that must wait
    /// for the network enters an (pooled) async state machine. System.Net's managed WebSocket validates text itself:
    /// on invalid UTF-8 it closes with 1007 and this call throws <see cref="WebSocketException"/>.
    /// </remarks>
    public ValueTask<ReceiveStatus> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            ReleaseCurrent();
            _received = 0;
            _oversize = false;
            while (true)
            {
                ValueTask<ValueWebSocketReceiveResult> receive = _socket.ReceiveAsync(_pipe.Writer.GetMemory(ReceiveChunk), cancellationToken);
                if (!receive.IsCompletedSuccessfully) return ReceiveSlowAsync(receive, cancellationToken);
                if (Accept(receive.Result, out ReceiveStatus status)) return new ValueTask<ReceiveStatus>(status);
            }
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<ReceiveStatus>(ex);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReceiveStatus> ReceiveSlowAsync(ValueTask<ValueWebSocketReceiveResult> pending, CancellationToken cancellationToken)
    {
        ValueWebSocketReceiveResult result = await pending.ConfigureAwait(false);
        while (true)
        {
            if (Accept(result, out ReceiveStatus status)) return status;
            result = await _socket.ReceiveAsync(_pipe.Writer.GetMemory(ReceiveChunk), cancellationToken).ConfigureAwait(false);
        }
    }

    // Takes one received chunk of the current message; true when the message is complete (or the peer closed).
    private bool Accept(ValueWebSocketReceiveResult result, out ReceiveStatus status)
    {
        if (result.MessageType == WebSocketMessageType.Close)
        {
            Discard();
            status = ReceiveStatus.Closed;
            return true;
        }
        _received += result.Count;
        // Once a message is over the limit, its remaining chunks are received into the same memory and dropped.
        if (!_oversize && _received > _maxMessageBytes)
        {
            _oversize = true;
            Discard();
        }
        else if (!_oversize)
        {
            _pipe.Writer.Advance(result.Count);
        }
        if (!result.EndOfMessage)
        {
            status = default;
            return false;
        }
        if (_oversize)
        {
            LastRejectedSize = _received;
            status = ReceiveStatus.TooLarge;
            return true;
        }

        CurrentType = result.MessageType;
        Flush();
        if (_pipe.Reader.TryRead(out ReadResult read))
        {
            Current = read.Buffer;
            _hasCurrent = true;
        }
        else
        {
            // An empty message: nothing was flushed, so there is no read to complete later.
            Current = ReadOnlySequence<byte>.Empty;
        }
        if (_validateUtf8 && CurrentType == WebSocketMessageType.Text && Utf8Validation.FindInvalid(Current) >= 0)
        {
            ReleaseCurrent();
            status = ReceiveStatus.InvalidUtf8;
            return true;
        }
        status = ReceiveStatus.Message;
        return true;
    }

    /// <summary>Completes the pipe and returns its segments to the pool.</summary>
    public void Dispose()
    {
        ReleaseCurrent();
        _pipe.Writer.Complete();
        _pipe.Reader.Complete();
    }

    private void ReleaseCurrent()
    {
        if (!_hasCurrent) return;
        _pipe.Reader.AdvanceTo(Current.End);
        Current = default;
        _hasCurrent = false;
    }

    // Drops whatever has been written to the pipe for the current message.
    private void Discard()
    {
        Flush();
        if (_pipe.Reader.TryRead(out ReadResult read)) _pipe.Reader.AdvanceTo(read.Buffer.End);
    }

    private void Flush()
    {
        // The pipe never pauses its writer (pauseWriterThreshold 0), so a flush always completes synchronously.
        ValueTask<FlushResult> flush = _pipe.Writer.FlushAsync();
        Debug.Assert(flush.IsCompletedSuccessfully, "an unpaused pipe flushes synchronously");
        flush.GetAwaiter().GetResult();
    }
}
